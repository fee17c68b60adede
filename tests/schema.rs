//! Schema versions of the session type (format v2 carries the version `data` was written in):
//! a field added in three releases served by a mixed cluster across a scheduled switch, fields
//! reordered, a field removed. postcard encodes fields by position, not by name, so every change
//! of shape takes a new schema version; these tests show what goes wrong without one.

mod common;

use std::time::{Duration, SystemTime};

use common::{at, cookie_header, now, ring};
use sealed_session::{Codec, Error, RequestCookies, ResealReason};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// Release A's session type (schema 1).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct CartV1 {
    user: u64,
    items: Vec<u32>,
}

/// Releases B and C add a field (schema 2).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct CartV2 {
    user: u64,
    items: Vec<u32>,
    coupon: Option<String>,
}

fn upgrade(old: CartV1) -> CartV2 {
    CartV2 {
        user: old.user,
        items: old.items,
        coupon: None,
    }
}

fn downgrade(new: &CartV2) -> CartV1 {
    CartV1 {
        user: new.user,
        items: new.items.clone(),
    }
}

/// When release B starts writing schema 2, on every node at once: after the roll-out of B.
fn switch() -> SystemTime {
    at(3600)
}

/// Release A: `CartV1` at schema 1, nothing older.
fn release_a() -> Codec<CartV1> {
    Codec::builder(ring()).schema_version(1).build().unwrap()
}

/// Release B: `CartV2` at schema 2; reads 1 (upgraded), and writes 1 until the switch.
fn release_b() -> Codec<CartV2> {
    Codec::builder(ring())
        .schema_version(2)
        .open_older_schema(1, upgrade)
        .seal_older_schema_until(1, switch(), downgrade)
        .build()
        .unwrap()
}

/// Release C: `CartV2` at schema 2, still reads 1 (values that A or B wrote may still be live).
fn release_c() -> Codec<CartV2> {
    Codec::builder(ring())
        .schema_version(2)
        .open_older_schema(1, upgrade)
        .build()
        .unwrap()
}

/// What one request did to the session.
#[derive(Debug)]
struct Visit<T> {
    session: T,
    /// The `Cookie` header the browser sends next.
    header: String,
    read_schema: u32,
    reseal: Option<ResealReason>,
    wrote_schema: u32,
}

/// One request to a node: open the session the browser sends, change it, seal it back.
fn serve<T: Serialize + DeserializeOwned>(
    node: &Codec<T>,
    header: &str,
    t: SystemTime,
    change: impl FnOnce(&mut T),
) -> Result<Visit<T>, Error> {
    let request = RequestCookies::from_header(header);
    let opened = node
        .open(&request, t)?
        .expect("the browser sends a session");
    let mut session = opened.session;
    change(&mut session);
    let sealed = node.seal(&session, Some(&opened.metadata), &request, t)?;
    assert_eq!(
        sealed.metadata().session_id(),
        opened.metadata.session_id(),
        "the same session throughout"
    );
    Ok(Visit {
        session,
        header: cookie_header(&sealed),
        read_schema: opened.metadata.schema_version(),
        reseal: opened.metadata.reseal_reason(),
        wrote_schema: sealed.metadata().schema_version(),
    })
}

#[test]
fn a_field_added_in_three_releases_never_strands_a_session_in_a_mixed_cluster() {
    let (a, b, c) = (release_a(), release_b(), release_c());
    assert_eq!(
        (a.schema_version(), b.schema_version(), c.schema_version()),
        (1, 2, 2)
    );

    // Release A signs the user in.
    let start = CartV1 {
        user: 42,
        items: vec![0],
    };
    let sealed = a.seal(&start, None, &RequestCookies::new(), now()).unwrap();
    assert_eq!(sealed.metadata().schema_version(), 1);
    let mut header = cookie_header(&sealed);
    let mut items = vec![0];

    // Rolling deploy of B: requests land on A and B in turn, before the switch. Every node
    // reads every value, nothing asks for a re-seal, and everything written is schema 1.
    #[derive(Clone, Copy, Debug)]
    enum Node {
        A,
        B,
        C,
    }
    let before = [Node::B, Node::A, Node::B, Node::B, Node::A, Node::B];
    for (i, node) in before.into_iter().enumerate() {
        let item = i as u32 + 1;
        let t = at(60 * (i as u64 + 1));
        assert!(t < switch());
        items.push(item);
        let (next, read, reseal, wrote, seen) = match node {
            Node::A => {
                let v = serve(&a, &header, t, |s| s.items.push(item)).unwrap();
                (
                    v.header,
                    v.read_schema,
                    v.reseal,
                    v.wrote_schema,
                    v.session.items,
                )
            }
            Node::B => {
                let v = serve(&b, &header, t, |s| s.items.push(item)).unwrap();
                assert_eq!(v.session.user, 42);
                (
                    v.header,
                    v.read_schema,
                    v.reseal,
                    v.wrote_schema,
                    v.session.items,
                )
            }
            Node::C => unreachable!("C is released after the switch"),
        };
        assert_eq!((read, wrote), (1, 1), "{node:?} before the switch");
        assert_eq!(reseal, None, "{node:?} before the switch");
        assert_eq!(seen, items, "{node:?}: nothing lost");
        header = next;
    }
    // B before the switch already reads schema 2 (a node of C released early, say) without
    // asking to re-seal it back to 1; A does not read it and must leave it alone.
    let early_v2 = c
        .seal(
            &upgrade(CartV1 {
                user: 7,
                items: vec![9],
            }),
            None,
            &RequestCookies::new(),
            at(100),
        )
        .unwrap();
    let early_header = cookie_header(&early_v2);
    let opened = b
        .open(&RequestCookies::from_header(&early_header), at(100))
        .unwrap()
        .unwrap();
    assert_eq!(opened.metadata.schema_version(), 2);
    assert_eq!(opened.metadata.reseal_reason(), None);
    let refused = a
        .open(&RequestCookies::from_header(&early_header), at(100))
        .unwrap_err();
    assert_eq!(refused, Error::UnknownSchema { version: 2 });
    assert!(!refused.cookies_are_dead(), "another release reads it");

    // The last value written before the switch: schema 1, which every release reads.
    let before_switch = header.clone();
    for t in [switch(), at(3700)] {
        assert_eq!(
            a.open(&RequestCookies::from_header(&before_switch), t)
                .unwrap()
                .unwrap()
                .session
                .items,
            items
        );
    }

    // The switch: B and C now write schema 2, and ask to re-seal every schema-1 value.
    let after = [Node::B, Node::C, Node::B, Node::C];
    for (i, node) in after.into_iter().enumerate() {
        let item = 100 + i as u32;
        let t = switch() + Duration::from_secs(60 * i as u64);
        items.push(item);
        let codec = match node {
            Node::B => &b,
            Node::C => &c,
            Node::A => unreachable!(),
        };
        let v = serve(codec, &header, t, |s| s.items.push(item)).unwrap();
        let expected_read = if i == 0 { 1 } else { 2 };
        assert_eq!(v.read_schema, expected_read, "{node:?} after the switch");
        let expected_reseal = (i == 0).then_some(ResealReason::OldSchema);
        assert_eq!(v.reseal, expected_reseal, "{node:?} after the switch");
        assert_eq!(v.wrote_schema, 2, "{node:?} after the switch");
        assert_eq!(v.session.items, items, "{node:?}: nothing lost");
        header = v.header;
    }
    // A node of A left over after the switch does not read schema 2: UnknownSchema, which the
    // adapters leave alone (the next request to B or C serves it).
    let late_a = a
        .open(&RequestCookies::from_header(&header), at(4000))
        .unwrap_err();
    assert_eq!(late_a, Error::UnknownSchema { version: 2 });
    assert!(!late_a.cookies_are_dead());

    // A schema-1 value still live after the switch (written before it, or by a node of A
    // that is still running) opens on B and C, upgraded, with a re-seal due.
    let a_after = serve(&a, &before_switch, at(3800), |s| s.items.push(999)).unwrap();
    assert_eq!(a_after.wrote_schema, 1);
    for (name, codec) in [("B", &b), ("C", &c)] {
        for old in [&before_switch, &a_after.header] {
            let opened = codec
                .open(&RequestCookies::from_header(old), at(3900))
                .unwrap()
                .unwrap();
            assert_eq!(opened.metadata.schema_version(), 1, "{name}");
            assert_eq!(
                opened.metadata.reseal_reason(),
                Some(ResealReason::OldSchema),
                "{name}"
            );
            assert_eq!(opened.session.coupon, None, "{name}");
            assert_eq!(opened.session.user, 42, "{name}");
            // The re-seal moves it to schema 2.
            let resealed = codec
                .seal(
                    &opened.session,
                    Some(&opened.metadata),
                    &RequestCookies::from_header(old),
                    at(3900),
                )
                .unwrap();
            assert_eq!(resealed.metadata().schema_version(), 2, "{name}");
        }
    }
    assert_eq!(
        ResealReason::OldSchema.to_string(),
        "written in an older schema version of the session type"
    );
}

#[test]
fn the_new_field_survives_only_once_schema_two_is_written() {
    let (b, c) = (release_b(), release_c());
    let cart = CartV2 {
        user: 1,
        items: vec![3],
        coupon: Some("SPRING".into()),
    };
    // Before the switch B writes schema 1, which has no room for the coupon: the downgrade
    // drops it, so an application must not rely on the new field until the switch.
    let early = b.seal(&cart, None, &RequestCookies::new(), now()).unwrap();
    assert_eq!(early.metadata().schema_version(), 1);
    let header = cookie_header(&early);
    let back = b
        .open(&RequestCookies::from_header(&header), now())
        .unwrap()
        .unwrap()
        .session;
    assert_eq!(back.coupon, None);
    assert_eq!(back.items, cart.items);
    // From the switch on it is kept, by B and by C.
    let late = b
        .seal(&cart, None, &RequestCookies::new(), switch())
        .unwrap();
    assert_eq!(late.metadata().schema_version(), 2);
    let header = cookie_header(&late);
    for codec in [&b, &c] {
        let back = codec
            .open(&RequestCookies::from_header(&header), switch())
            .unwrap()
            .unwrap()
            .session;
        assert_eq!(back, cart);
    }
}

#[test]
fn schema_versions_nobody_registered_are_unknown_not_misread() {
    // Schema 0 (the default) is read by a codec at 0 only.
    let unversioned = Codec::<CartV1>::builder(ring()).build().unwrap();
    assert_eq!(unversioned.schema_version(), 0);
    let cart = CartV1 {
        user: 5,
        items: vec![1, 2],
    };
    let sealed = unversioned
        .seal(&cart, None, &RequestCookies::new(), now())
        .unwrap();
    assert_eq!(sealed.metadata().schema_version(), 0);
    let header = cookie_header(&sealed);
    let request = RequestCookies::from_header(&header);
    assert_eq!(
        release_a().open(&request, now()).unwrap_err(),
        Error::UnknownSchema { version: 0 }
    );
    assert_eq!(
        release_c().open(&request, now()).unwrap_err(),
        Error::UnknownSchema { version: 0 }
    );
    // The raw-bytes API opens any version and says which one it was.
    let raw = Codec::<()>::builder(ring()).build().unwrap();
    let a_value = release_a()
        .seal(&cart, None, &RequestCookies::new(), now())
        .unwrap();
    let a_header = cookie_header(&a_value);
    let opened = raw
        .open_bytes(&RequestCookies::from_header(&a_header), now())
        .unwrap()
        .unwrap();
    assert_eq!(opened.metadata.schema_version(), 1);
    assert_eq!(opened.session, postcard::to_allocvec(&cart).unwrap());
    // Tokens carry the schema version too.
    let tokens_a = Codec::<CartV1>::builder(ring())
        .purpose("api")
        .schema_version(1)
        .build()
        .unwrap();
    let tokens_c = Codec::<CartV2>::builder(ring())
        .purpose("api")
        .schema_version(2)
        .build()
        .unwrap();
    let token = tokens_a.seal_token(&cart, None, now()).unwrap();
    assert_eq!(
        tokens_c.open_token(&token, now()).unwrap_err(),
        Error::UnknownSchema { version: 1 }
    );
}

#[test]
fn schema_configurations_that_cannot_work_are_refused_at_build() {
    // An "older" version that is not older than the current one.
    for older in [2, 3] {
        assert!(matches!(
            Codec::<CartV2>::builder(ring())
                .schema_version(2)
                .open_older_schema(older, upgrade)
                .build(),
            Err(Error::InvalidConfig { .. })
        ));
    }
    // Sealing an older version that the codec would not read back.
    assert!(matches!(
        Codec::<CartV2>::builder(ring())
            .schema_version(2)
            .seal_older_schema_until(1, switch(), downgrade)
            .build(),
        Err(Error::InvalidConfig { .. })
    ));
}

/// Release 1 of a type whose two fields share a type.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct NameV1 {
    first: String,
    last: String,
}

/// Release 2 reorders them.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct NameV2 {
    last: String,
    first: String,
}

fn ada() -> NameV1 {
    NameV1 {
        first: "Ada".into(),
        last: "Lovelace".into(),
    }
}

#[test]
fn a_reorder_of_two_same_typed_fields_needs_a_schema_bump() {
    // The hazard, in postcard itself: fields go by position, so the old bytes read as the new
    // type without any error, the two fields swapped.
    let bytes = postcard::to_allocvec(&ada()).unwrap();
    let misread: NameV2 = postcard::from_bytes(&bytes).unwrap();
    assert_eq!(
        misread,
        NameV2 {
            last: "Ada".into(),
            first: "Lovelace".into(),
        }
    );

    let old = Codec::<NameV1>::builder(ring())
        .schema_version(1)
        .build()
        .unwrap();
    let sealed = old
        .seal(&ada(), None, &RequestCookies::new(), now())
        .unwrap();
    let header = cookie_header(&sealed);
    let request = RequestCookies::from_header(&header);

    // Without a bump the codec cannot tell either: the session opens, silently swapped.
    let no_bump = Codec::<NameV2>::builder(ring())
        .schema_version(1)
        .build()
        .unwrap();
    let swapped = no_bump.open(&request, now()).unwrap().unwrap().session;
    assert_eq!(swapped.first, "Lovelace", "the documented hazard");
    assert_eq!(swapped.last, "Ada");

    // With a bump and no conversion, the old value is refused, not misread.
    let bumped_only = Codec::<NameV2>::builder(ring())
        .schema_version(2)
        .build()
        .unwrap();
    assert_eq!(
        bumped_only.open(&request, now()).unwrap_err(),
        Error::UnknownSchema { version: 1 }
    );

    // With a bump and a conversion, it reads correctly and moves to the new schema.
    let bumped = Codec::<NameV2>::builder(ring())
        .schema_version(2)
        .open_older_schema(1, |o: NameV1| NameV2 {
            last: o.last,
            first: o.first,
        })
        .build()
        .unwrap();
    let opened = bumped.open(&request, now()).unwrap().unwrap();
    assert_eq!(
        opened.session,
        NameV2 {
            last: "Lovelace".into(),
            first: "Ada".into(),
        }
    );
    assert_eq!(
        opened.metadata.reseal_reason(),
        Some(ResealReason::OldSchema)
    );
    let resealed = bumped
        .seal(&opened.session, Some(&opened.metadata), &request, now())
        .unwrap();
    assert_eq!(resealed.metadata().schema_version(), 2);
    let header = cookie_header(&resealed);
    let again = bumped
        .open(&RequestCookies::from_header(&header), now())
        .unwrap()
        .unwrap();
    assert_eq!(again.session, opened.session);
    assert_eq!(again.metadata.reseal_reason(), None);
}

/// Release 3 removes the coupon again.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct CartV3 {
    user: u64,
    items: Vec<u32>,
}

#[test]
fn removing_a_field() {
    let c = release_c();
    let with_coupon = CartV2 {
        user: 8,
        items: vec![4, 5],
        coupon: Some("X".into()),
    };
    let sealed = c
        .seal(&with_coupon, None, &RequestCookies::new(), now())
        .unwrap();
    let header = cookie_header(&sealed);
    let request = RequestCookies::from_header(&header);

    // Without a bump the codec refuses the trailing bytes of the removed field rather than
    // ignoring them (postcard's `from_bytes` alone would accept the value and drop them).
    let no_bump = Codec::<CartV3>::builder(ring())
        .schema_version(2)
        .build()
        .unwrap();
    assert!(matches!(
        no_bump.open(&request, now()),
        Err(Error::Serialization { .. })
    ));
    let bytes = postcard::to_allocvec(&with_coupon).unwrap();
    let lenient: CartV3 = postcard::from_bytes(&bytes).unwrap();
    assert_eq!(lenient.items, with_coupon.items);

    // With a bump, release 3 reads 2 and 1 and writes 3.
    let d = Codec::<CartV3>::builder(ring())
        .schema_version(3)
        .open_older_schema(2, |v: CartV2| CartV3 {
            user: v.user,
            items: v.items,
        })
        .open_older_schema(1, |v: CartV1| CartV3 {
            user: v.user,
            items: v.items,
        })
        .build()
        .unwrap();
    let opened = d.open(&request, now()).unwrap().unwrap();
    assert_eq!(
        opened.session,
        CartV3 {
            user: 8,
            items: vec![4, 5],
        }
    );
    assert_eq!(
        opened.metadata.reseal_reason(),
        Some(ResealReason::OldSchema)
    );
    let from_a = release_a()
        .seal(
            &CartV1 {
                user: 9,
                items: vec![6],
            },
            None,
            &RequestCookies::new(),
            now(),
        )
        .unwrap();
    let a_header = cookie_header(&from_a);
    let opened = d
        .open(&RequestCookies::from_header(&a_header), now())
        .unwrap()
        .unwrap();
    assert_eq!(opened.session.items, vec![6]);
    assert_eq!(opened.metadata.schema_version(), 1);
    let resealed = d
        .seal(
            &opened.session,
            Some(&opened.metadata),
            &RequestCookies::new(),
            now(),
        )
        .unwrap();
    assert_eq!(resealed.metadata().schema_version(), 3);
    // Release C does not read what release 3 writes.
    let header = cookie_header(&resealed);
    assert_eq!(
        c.open(&RequestCookies::from_header(&header), now())
            .unwrap_err(),
        Error::UnknownSchema { version: 3 }
    );
}
