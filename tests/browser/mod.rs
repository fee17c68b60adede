//! A minimal cookie jar for the adapter tests: applies `Set-Cookie` lines the way a browser
//! does (a `Max-Age=0` line deletes, any other line stores) and renders the `Cookie` header.
#![allow(dead_code)]

use std::collections::BTreeMap;

/// The cookies a browser holds for one site.
#[derive(Debug, Default, Clone)]
pub struct Jar {
    cookies: BTreeMap<String, String>,
}

impl Jar {
    /// An empty jar.
    pub fn new() -> Self {
        Jar::default()
    }

    /// Applies `Set-Cookie` lines in order.
    pub fn apply<I, S>(&mut self, lines: I)
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        for line in lines {
            let line = line.as_ref();
            let pair = line.split(';').next().unwrap_or_default();
            let (name, value) = pair
                .split_once('=')
                .expect("a Set-Cookie line has name=value");
            let deletes = line.split("; ").skip(1).any(|a| a == "Max-Age=0");
            if deletes {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
    }

    /// Stores a cookie directly (another site's cookie, a forged one, ...).
    pub fn insert(&mut self, name: &str, value: &str) {
        self.cookies.insert(name.to_owned(), value.to_owned());
    }

    /// The value of cookie `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.cookies.get(name).map(String::as_str)
    }

    /// The names held, sorted.
    pub fn names(&self) -> Vec<&str> {
        self.cookies.keys().map(String::as_str).collect()
    }

    /// The `Cookie` header the browser sends (empty when the jar is empty).
    pub fn header(&self) -> String {
        self.cookies
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// Whether a `Set-Cookie` line deletes its cookie.
pub fn is_deletion(line: &str) -> bool {
    line.split("; ").skip(1).any(|a| a == "Max-Age=0")
}

/// The cookie name of a `Set-Cookie` line.
pub fn name_of(line: &str) -> &str {
    line.split('=').next().unwrap_or_default()
}
