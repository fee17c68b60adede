//! The session type in two layouts, the trait the handlers serve either through, and the three
//! releases (`DEMO_RELEASE`) of a rolling deploy that changes it.
//!
//! postcard writes a struct as its fields in order, without names: the new layout cannot read
//! the old bytes nor the old one the new, so each sealed value carries its schema version and
//! the releases change the type the way keys are rotated (README, "Changing the session type
//! across a rolling deploy"):
//!
//! | release | type | seals | opens |
//! |---|---|---|---|
//! | `a` | [`SessionV0`] | schema 0 | schema 0 |
//! | `b` | [`DemoSession`] | schema 0 until `DEMO_SCHEMA_SWITCH_AT`, then 1 | 0 (upgraded) and 1 |
//! | `c` (default) | [`DemoSession`] | schema 1 | 0 (upgraded) and 1 |

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use sealed_session::CodecBuilder;

/// The schema version of [`SessionV0`].
pub const SCHEMA_V0: u32 = 0;
/// The schema version of [`DemoSession`].
pub const SCHEMA_V1: u32 = 1;

/// Schema 1, releases `b` and `c`: everything the app remembers about a visitor, sealed into
/// the cookies.
#[derive(Serialize, Deserialize, Clone, Default, Debug)]
pub struct DemoSession {
    pub visits: u64,
    pub name: Option<String>,
    pub cart: Vec<Item>,
    /// The `NODE_NAME` of the node that last changed the session (not of one that only
    /// re-sealed it).
    pub last_writer: Option<String>,
}

/// Schema 0, release `a`: the layout the demo wrote before `last_writer`. Its fields, their
/// order and their types must never change: cookies out there hold these bytes.
#[derive(Serialize, Deserialize, Clone, Default, Debug)]
pub struct SessionV0 {
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

/// What the handlers need of a session type, so that one binary serves either release.
pub trait DemoState:
    Serialize + DeserializeOwned + Clone + Default + Send + Sync + 'static
{
    fn visits(&self) -> u64;
    fn name(&self) -> Option<&str>;
    fn cart(&self) -> &[Item];
    /// The node that last changed the session; `None` for a type without the field.
    fn last_writer(&self) -> Option<&str>;
    fn visits_mut(&mut self) -> &mut u64;
    fn set_name(&mut self, name: Option<String>);
    fn cart_mut(&mut self) -> &mut Vec<Item>;
    /// Records the node that changes the session (a no-op for a type without the field).
    fn set_last_writer(&mut self, node: &str);
}

impl DemoState for DemoSession {
    fn visits(&self) -> u64 {
        self.visits
    }
    fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }
    fn cart(&self) -> &[Item] {
        &self.cart
    }
    fn last_writer(&self) -> Option<&str> {
        self.last_writer.as_deref()
    }
    fn visits_mut(&mut self) -> &mut u64 {
        &mut self.visits
    }
    fn set_name(&mut self, name: Option<String>) {
        self.name = name;
    }
    fn cart_mut(&mut self) -> &mut Vec<Item> {
        &mut self.cart
    }
    fn set_last_writer(&mut self, node: &str) {
        self.last_writer = Some(node.to_owned());
    }
}

impl DemoState for SessionV0 {
    fn visits(&self) -> u64 {
        self.visits
    }
    fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }
    fn cart(&self) -> &[Item] {
        &self.cart
    }
    fn last_writer(&self) -> Option<&str> {
        None
    }
    fn visits_mut(&mut self) -> &mut u64 {
        &mut self.visits
    }
    fn set_name(&mut self, name: Option<String>) {
        self.name = name;
    }
    fn cart_mut(&mut self) -> &mut Vec<Item> {
        &mut self.cart
    }
    fn set_last_writer(&mut self, _node: &str) {}
}

/// Reading schema 0 in releases `b` and `c`: nobody is recorded as the last writer.
fn upgrade(old: SessionV0) -> DemoSession {
    DemoSession {
        visits: old.visits,
        name: old.name,
        cart: old.cart,
        last_writer: None,
    }
}

/// Writing schema 0 in release `b` before the switch: `last_writer` is dropped.
fn downgrade(new: &DemoSession) -> SessionV0 {
    SessionV0 {
        visits: new.visits,
        name: new.name.clone(),
        cart: new.cart.clone(),
    }
}

/// Which release of the session type this process runs (`DEMO_RELEASE`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Release {
    /// The old release: [`SessionV0`], seals and opens schema 0 only.
    A,
    /// The rolling-out release: [`DemoSession`], opens 0 and 1, seals 0 until `switch_at`
    /// (Unix seconds, `DEMO_SCHEMA_SWITCH_AT`), then 1.
    B { switch_at: u64 },
    /// The release after the switch: [`DemoSession`], seals 1, still opens 0.
    C,
}

impl Release {
    /// From `DEMO_RELEASE` and `DEMO_SCHEMA_SWITCH_AT` (each `None` when unset or blank).
    /// Returns the release and, when the switch time is given to a release that does not use
    /// it, a warning to print.
    pub fn from_env(
        release: Option<&str>,
        switch_at: Option<&str>,
    ) -> Result<(Release, Option<String>), String> {
        let switch = switch_at
            .map(|v| {
                v.trim().parse::<u64>().map_err(|_| {
                    format!("DEMO_SCHEMA_SWITCH_AT '{v}' is not a time in Unix seconds")
                })
            })
            .transpose()?;
        let release = match release.map(|r| r.trim().to_ascii_lowercase()).as_deref() {
            Some("a") => Release::A,
            Some("b") => Release::B {
                switch_at: switch.ok_or(
                    "DEMO_RELEASE=b needs DEMO_SCHEMA_SWITCH_AT (Unix seconds): when every \
                     node of release b starts sealing schema 1",
                )?,
            },
            None | Some("c") => Release::C,
            Some(other) => return Err(format!("DEMO_RELEASE '{other}' is not a, b or c")),
        };
        let warning = match (release, switch) {
            (Release::A | Release::C, Some(_)) => Some(format!(
                "DEMO_SCHEMA_SWITCH_AT is ignored by release {}: only release b switches",
                release.name()
            )),
            _ => None,
        };
        Ok((release, warning))
    }

    pub fn name(self) -> &'static str {
        match self {
            Release::A => "a",
            Release::B { .. } => "b",
            Release::C => "c",
        }
    }

    /// One line for the start-up message and the page: what this release reads and writes.
    pub fn describe(self) -> String {
        match self {
            Release::A => "release a: schema 0, opens 0".to_owned(),
            Release::B { switch_at } => {
                let now = SystemTime::now();
                let when = match switch_time(switch_at).duration_since(now) {
                    Ok(left) => format!("in {} s", left.as_secs()),
                    Err(_) => "passed".to_owned(),
                };
                format!("release b: schema 1, opens 0 and 1, seals 0 until {switch_at} ({when})")
            }
            Release::C => "release c: schema 1, opens 0 and 1".to_owned(),
        }
    }
}

fn switch_time(unix: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(unix)
}

/// Release `a`'s codec: the old type at schema 0 (the default, stated).
pub fn release_a(builder: CodecBuilder<SessionV0>) -> CodecBuilder<SessionV0> {
    builder.schema_version(SCHEMA_V0)
}

/// Release `b` and `c`'s codec: the new type at schema 1, reading schema 0 through
/// [`upgrade`]; release `b` also keeps sealing schema 0 until its switch.
pub fn release_b_or_c(
    builder: CodecBuilder<DemoSession>,
    release: Release,
) -> CodecBuilder<DemoSession> {
    let builder = builder
        .schema_version(SCHEMA_V1)
        .open_older_schema(SCHEMA_V0, upgrade);
    match release {
        Release::B { switch_at } => {
            builder.seal_older_schema_until(SCHEMA_V0, switch_time(switch_at), downgrade)
        }
        Release::A | Release::C => builder,
    }
}
