//! The session type: everything the app remembers about a visitor, sealed into the cookies.

use serde::{Deserialize, Serialize};

/// Everything the app remembers about a visitor, sealed into the cookies.
#[derive(Serialize, Deserialize, Clone, Default, Debug)]
pub struct DemoSession {
    pub visits: u64,
    pub name: Option<String>,
    pub cart: Vec<Item>,
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct Item {
    pub sku: u32,
    pub name: String,
    pub qty: u16,
}

const PRODUCTS: [&str; 8] = [
    "green tea",
    "coffee",
    "mug",
    "kettle",
    "honey",
    "biscuits",
    "teapot",
    "filter",
];

/// Item `i` of any cart: deterministic, so scripted clients can predict sizes.
pub fn item(i: usize) -> Item {
    Item {
        sku: 100_000u32.saturating_add(u32::try_from(i).unwrap_or(u32::MAX)),
        name: PRODUCTS[i % PRODUCTS.len()].to_owned(),
        qty: 1 + (i % 3) as u16,
    }
}
