//! Tests that kill mutants of `src/expiry.rs` the rest of the suite let live (MUTANTS.md,
//! "Killed by a new test"). Each names the mutant it fails on.

mod common;

use std::time::Duration;

use common::ring;
use sealed_session::{Codec, Error, Expiry};

/// 100 years of 366 days, written out: the longest lifetime the policy accepts.
const HUNDRED_YEARS: u64 = 3_162_240_000;

fn build(absolute: u64, idle: u64) -> Result<Codec<()>, Error> {
    Codec::builder(ring())
        .expiry(
            Expiry::default()
                .absolute(Some(Duration::from_secs(absolute)))
                .idle(Some(Duration::from_secs(idle))),
        )
        .build()
}

/// Kills `MAX_LIFETIME_SECS = 100 * 366 * 24 * 3600` (line 29) with `*` to `+` at column 47
/// and `*` to `/` at column 53: the unit test of the bound derives it from the constant, so it
/// moves with the mutant; this one has the number written out.
#[test]
fn lifetimes_up_to_100_years_of_366_days_and_no_more() {
    assert!(build(HUNDRED_YEARS, HUNDRED_YEARS).is_ok());
    assert!(matches!(
        build(HUNDRED_YEARS + 1, 60),
        Err(Error::InvalidConfig { .. })
    ));
    assert!(matches!(
        build(HUNDRED_YEARS, HUNDRED_YEARS + 1),
        Err(Error::InvalidConfig { .. })
    ));
}
