//! Issue item 3: chunking and the size budget (boundaries at and one past every limit,
//! reassembly in any order, rejected chunk sets, deletion of stale chunks, huge headers).

mod common;

use common::{at, b64_decode, b64_encode, cookie_header, now, pair_of, pairs, ring, value_of};
use sealed_session::{
    ChunkError, Codec, CookieAttributes, DEFAULT_MAX_COOKIE_BYTES, DEFAULT_MAX_TOTAL_BYTES, Error,
    MAX_CHUNKS, MAX_COOKIE_BYTES, MAX_TOTAL_BYTES, Mode, RequestCookies, SealedCookies,
};

/// `n` bytes of filler that is not all one byte.
fn data(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 131 + 7) as u8).collect()
}

fn codec(per_cookie: usize, budget: usize) -> Codec<()> {
    Codec::builder(ring())
        .max_cookie_bytes(per_cookie)
        .max_total_bytes(budget)
        .build()
        .expect("valid limits")
}

fn seal(codec: &Codec<()>, n: usize) -> Result<SealedCookies, Error> {
    codec.seal_bytes(&data(n), None, &RequestCookies::new(), now())
}

fn open(codec: &Codec<()>, header: &str) -> Result<Vec<u8>, Error> {
    codec
        .open_bytes(&RequestCookies::from_header(header), now())
        .map(|o| o.expect("session cookies present").session)
}

fn assert_lines_within(sealed: &SealedCookies, limit: usize) {
    for line in sealed.headers() {
        assert!(line.len() <= limit, "{} > {limit}: {line}", line.len());
    }
}

/// The bytes a set of pairs takes in a `Cookie` header, counted independently.
fn header_bytes(sealed: &SealedCookies) -> usize {
    cookie_header(sealed).len()
}

/// A sealed value split in `count` chunks under the default configuration (and its pairs).
fn chunked(count: usize) -> (Codec<()>, SealedCookies, Vec<String>) {
    let c = codec(DEFAULT_MAX_COOKIE_BYTES, MAX_TOTAL_BYTES);
    // Each default chunk carries a bit under 3 KB of envelope.
    let sealed = seal(&c, (count - 1) * 2_900 + 500).unwrap();
    assert_eq!(sealed.chunk_count(), count);
    let p = pairs(&sealed);
    (c, sealed, p)
}

fn open_pairs(c: &Codec<()>, pairs: &[String]) -> Result<Vec<u8>, Error> {
    open(c, &pairs.join("; "))
}

#[test]
fn defaults_leave_room_under_an_8_kib_cookie_header() {
    // Checked at compile time: a margin under 4096, and over 1 KiB of an 8 KiB header left.
    const {
        assert!(DEFAULT_MAX_COOKIE_BYTES <= 4096 - 64);
        assert!(DEFAULT_MAX_TOTAL_BYTES + "Cookie: ".len() + 1024 <= 8 * 1024);
    }
    let c = Codec::<()>::builder(ring()).build().unwrap();
    assert_eq!(c.max_cookie_bytes(), DEFAULT_MAX_COOKIE_BYTES);
    assert_eq!(c.max_total_bytes(), DEFAULT_MAX_TOTAL_BYTES);
}

#[test]
fn limits_out_of_range_are_refused_at_build() {
    let build = |per: usize, total: usize| {
        Codec::<()>::builder(ring())
            .max_cookie_bytes(per)
            .max_total_bytes(total)
            .build()
    };
    assert!(build(MAX_COOKIE_BYTES, DEFAULT_MAX_TOTAL_BYTES).is_ok());
    assert!(matches!(
        build(MAX_COOKIE_BYTES + 1, DEFAULT_MAX_TOTAL_BYTES),
        Err(Error::InvalidConfig { .. })
    ));
    assert!(build(4000, MAX_TOTAL_BYTES).is_ok());
    assert!(matches!(
        build(4000, MAX_TOTAL_BYTES + 1),
        Err(Error::InvalidConfig { .. })
    ));
    assert!(build(4000, 64).is_ok());
    assert!(matches!(build(4000, 63), Err(Error::InvalidConfig { .. })));
    // A per-cookie limit too small for the name and attributes is refused.
    assert!(matches!(build(100, 6000), Err(Error::InvalidConfig { .. })));
}

#[test]
fn unchunked_value_exactly_at_the_per_cookie_limit_and_one_byte_past() {
    let roomy = codec(MAX_COOKIE_BYTES, MAX_TOTAL_BYTES);
    for n in [0, 1, 2, 3, 500, 1_000, 1_001, 1_002] {
        let sealed = seal(&roomy, n).unwrap();
        assert_eq!(sealed.chunk_count(), 1);
        let exact = sealed.headers()[0].len();

        // Limit == line length: still one cookie, exactly at the limit.
        let at_limit = codec(exact, MAX_TOTAL_BYTES);
        let s = seal(&at_limit, n).unwrap();
        assert_eq!(s.chunk_count(), 1, "n={n}");
        assert_eq!(s.headers()[0].len(), exact, "n={n}");
        assert_eq!(open(&at_limit, &cookie_header(&s)).unwrap(), data(n));

        // The value one byte larger no longer fits one cookie.
        let s = seal(&at_limit, n + 1).unwrap();
        assert_eq!(s.chunk_count(), 2, "n={}", n + 1);
        assert_lines_within(&s, exact);
        assert_eq!(open(&at_limit, &cookie_header(&s)).unwrap(), data(n + 1));

        // Limit one byte below the line: chunked, every line within the smaller limit.
        if exact > 300 {
            let below = codec(exact - 1, MAX_TOTAL_BYTES);
            let s = seal(&below, n).unwrap();
            assert_eq!(s.chunk_count(), 2, "n={n}");
            assert_lines_within(&s, exact - 1);
            assert_eq!(open(&below, &cookie_header(&s)).unwrap(), data(n));
        }
    }
}

#[test]
fn largest_unchunked_value_under_the_default_limit() {
    let c = codec(DEFAULT_MAX_COOKIE_BYTES, MAX_TOTAL_BYTES);
    let largest = (0..4_000)
        .rev()
        .find(|&n| seal(&c, n).unwrap().chunk_count() == 1)
        .unwrap();
    let fits = seal(&c, largest).unwrap();
    let line = &fits.headers()[0];
    assert!(line.len() <= DEFAULT_MAX_COOKIE_BYTES);
    // The same value one byte longer, unchunked, would take a longer line than the limit.
    let envelope_len = b64_decode(value_of(pair_of(line))).len();
    let attrs_len = line.len() - pair_of(line).len();
    let name_len = c.cookie_name().len() + 1;
    let one_more = name_len + common::b64_len(envelope_len + 1) + attrs_len;
    assert!(one_more > DEFAULT_MAX_COOKIE_BYTES, "{one_more}");
    let chunked = seal(&c, largest + 1).unwrap();
    assert_eq!(chunked.chunk_count(), 2);
    assert_lines_within(&chunked, DEFAULT_MAX_COOKIE_BYTES);
}

#[test]
fn chunked_lines_reach_the_limit_exactly_and_never_pass_it() {
    // Small cookies so that 16 chunks stay small: name "s", no Expires.
    let build = |limit: usize| {
        Codec::<()>::builder(ring())
            .cookie_name("s")
            .attributes(CookieAttributes::default().expires(false))
            .max_cookie_bytes(limit)
            .max_total_bytes(MAX_TOTAL_BYTES)
            .build()
            .unwrap()
    };
    let limit = 203;
    let c = build(limit);
    let mut previous_count = 1;
    let mut exact_hits = Vec::new();
    let mut n = 0;
    loop {
        match seal(&c, n) {
            Ok(sealed) => {
                assert_lines_within(&sealed, limit);
                assert!(
                    sealed.chunk_count() >= previous_count,
                    "count never shrinks as n grows"
                );
                assert!(sealed.chunk_count() <= MAX_CHUNKS);
                previous_count = sealed.chunk_count();
                if sealed.chunk_count() > 1 && sealed.headers().iter().any(|l| l.len() == limit) {
                    exact_hits.push((n, sealed.chunk_count()));
                }
                if n % 97 == 0 {
                    assert_eq!(open(&c, &cookie_header(&sealed)).unwrap(), data(n));
                }
            }
            Err(Error::TooLarge { .. }) => {
                assert_eq!(
                    previous_count, MAX_CHUNKS,
                    "only the chunk cap stops growth here"
                );
                break;
            }
            Err(e) => panic!("n={n}: {e}"),
        }
        n += 1;
    }
    assert!(
        !exact_hits.is_empty(),
        "some chunked line sits exactly at the limit"
    );
    // One byte less of limit: the same values are laid out again within it.
    let tighter = build(limit - 1);
    for &(n, count) in &exact_hits {
        match seal(&tighter, n) {
            Ok(s) => {
                assert!(
                    s.chunk_count() > count,
                    "n={n}: a full layout needs one chunk more"
                );
                assert_lines_within(&s, limit - 1);
                assert_eq!(open(&tighter, &cookie_header(&s)).unwrap(), data(n));
            }
            Err(Error::TooLarge { .. }) => assert_eq!(count, MAX_CHUNKS, "n={n}"),
            Err(e) => panic!("n={n}: {e}"),
        }
    }
}

#[test]
fn total_budget_exactly_at_and_one_byte_below_the_needed_size() {
    for n in [10, 3_500, 5_000] {
        let roomy = codec(DEFAULT_MAX_COOKIE_BYTES, MAX_TOTAL_BYTES);
        let sealed = seal(&roomy, n).unwrap();
        let needed = sealed.cookie_header_bytes();
        assert_eq!(needed, header_bytes(&sealed), "n={n}: reported vs counted");

        let exact = codec(DEFAULT_MAX_COOKIE_BYTES, needed);
        let s = seal(&exact, n).unwrap();
        assert_eq!(s.cookie_header_bytes(), needed);
        assert_eq!(open(&exact, &cookie_header(&s)).unwrap(), data(n));

        let short = codec(DEFAULT_MAX_COOKIE_BYTES, needed - 1);
        assert_eq!(
            seal(&short, n).unwrap_err(),
            Error::TooLarge {
                needed,
                budget: needed - 1
            },
            "n={n}"
        );
    }
}

#[test]
fn largest_value_within_the_default_budget_and_one_byte_more() {
    let c = codec(DEFAULT_MAX_COOKIE_BYTES, DEFAULT_MAX_TOTAL_BYTES);
    // Binary search for the largest payload that seals.
    let (mut lo, mut hi) = (0usize, 20_000usize);
    while lo + 1 < hi {
        let mid = (lo + hi) / 2;
        if seal(&c, mid).is_ok() {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let fits = seal(&c, lo).unwrap();
    assert!(fits.cookie_header_bytes() <= DEFAULT_MAX_TOTAL_BYTES);
    assert_eq!(fits.cookie_header_bytes(), header_bytes(&fits));
    assert_lines_within(&fits, DEFAULT_MAX_COOKIE_BYTES);
    assert_eq!(open(&c, &cookie_header(&fits)).unwrap(), data(lo));

    // What one more byte would take, measured with a larger budget.
    let roomy = codec(DEFAULT_MAX_COOKIE_BYTES, MAX_TOTAL_BYTES);
    let would_take = seal(&roomy, lo + 1).unwrap().cookie_header_bytes();
    assert!(would_take > DEFAULT_MAX_TOTAL_BYTES);
    assert_eq!(
        seal(&c, lo + 1).unwrap_err(),
        Error::TooLarge {
            needed: would_take,
            budget: DEFAULT_MAX_TOTAL_BYTES
        }
    );
}

#[test]
fn too_large_for_the_chunk_cap_reports_the_cap_as_the_budget() {
    // Tiny cookies and a large budget: the 16-chunk cap, not the budget, is what stops sealing,
    // so the budget reported is what 16 cookies of this size can carry.
    let c = Codec::<()>::builder(ring())
        .cookie_name("s")
        .attributes(CookieAttributes::default().expires(false))
        .max_cookie_bytes(203)
        .max_total_bytes(MAX_TOTAL_BYTES)
        .build()
        .unwrap();
    let (needed, budget) = match seal(&c, 10_000) {
        Err(Error::TooLarge { needed, budget }) => (needed, budget),
        other => panic!("{other:?}"),
    };
    assert!(needed > budget, "{needed} needed within {budget}");
    assert!(budget < MAX_TOTAL_BYTES);
    // The largest payload that does fit takes 16 chunks and at most that budget.
    let fits = (0..10_000)
        .rev()
        .find_map(|n| seal(&c, n).ok())
        .expect("something fits");
    assert_eq!(fits.chunk_count(), 16);
    assert!(fits.cookie_header_bytes() <= budget);
}

#[test]
fn reassembly_is_independent_of_order_and_header_split() {
    let (c, _, p) = chunked(4);
    let original = data(3 * 2_900 + 500);
    // All 24 orders.
    let mut order = [0usize, 1, 2, 3];
    let mut seen = 0;
    permute(&mut order, 0, &mut |o| {
        let shuffled: Vec<String> = o.iter().map(|&i| p[i].clone()).collect();
        assert_eq!(open_pairs(&c, &shuffled).unwrap(), original, "order {o:?}");
        seen += 1;
    });
    assert_eq!(seen, 24);

    // Spread across several Cookie headers, among unrelated cookies, with odd whitespace.
    let h1 = format!("theme=dark; {}", p[2]);
    let h2 = format!(" {} ;lang=en", p[0]);
    let h3 = format!("{};\t{}  ", p[3], p[1]);
    let mut request = RequestCookies::from_header(&h1);
    request.add_header(&h2).add_header("").add_header(&h3);
    let opened = c.open_bytes(&request, now()).unwrap().unwrap();
    assert_eq!(opened.session, original);
}

fn permute(items: &mut [usize; 4], k: usize, f: &mut impl FnMut(&[usize; 4])) {
    if k == items.len() {
        f(items);
        return;
    }
    for i in k..items.len() {
        items.swap(k, i);
        permute(items, k + 1, f);
        items.swap(k, i);
    }
}

#[test]
fn missing_chunks_are_reported_by_index() {
    let (c, _, p) = chunked(3);
    for missing in 1..3 {
        let rest: Vec<String> = (0..3)
            .filter(|&i| i != missing)
            .map(|i| p[i].clone())
            .collect();
        assert_eq!(
            open_pairs(&c, &rest).unwrap_err(),
            Error::Chunks(ChunkError::Missing { index: missing })
        );
    }
    // Without the head (chunk 0) the other chunks are leftovers: no session, not an error.
    let headless = p[1..].join("; ");
    assert_eq!(
        c.open_bytes(&RequestCookies::from_header(&headless), now()),
        Ok(None)
    );
    let only_last = p[2].clone();
    assert_eq!(
        c.open_bytes(&RequestCookies::from_header(&only_last), now()),
        Ok(None)
    );
}

#[test]
fn duplicated_chunks_are_rejected() {
    let (c, _, p) = chunked(3);
    for dup in 0..3 {
        let mut with_dup = p.clone();
        with_dup.push(p[dup].clone());
        assert_eq!(
            open_pairs(&c, &with_dup).unwrap_err(),
            Error::Chunks(ChunkError::Duplicate { index: dup })
        );
    }
}

#[test]
fn leftover_chunks_are_ignored_and_the_next_seal_deletes_them() {
    let (c, big, p) = chunked(3);
    let original = data(2 * 2_900 + 500);
    let name = c.cookie_name().to_owned();
    // Chunk names at or beyond the count the head announces (3) are leftovers of an earlier,
    // larger seal: opening ignores them, whatever they hold.
    for extra in [3, 9, 15] {
        for value in [value_of(&p[1]), "not*base64", ""] {
            let mut more = p.clone();
            more.push(format!("{name}.{extra}={value}"));
            assert_eq!(open_pairs(&c, &more).unwrap(), original, "{name}.{extra}");
            // ...in any position of the header.
            more.rotate_right(1);
            assert_eq!(open_pairs(&c, &more).unwrap(), original, "{name}.{extra}");
        }
    }
    // And the next seal deletes them.
    let mut leftovers = p.clone();
    for extra in [3, 9, 15] {
        leftovers.push(format!("{name}.{extra}={}", value_of(&p[1])));
    }
    let request_header = leftovers.join("; ");
    let request = RequestCookies::from_header(&request_header);
    let opened = c.open_bytes(&request, at(5)).unwrap().unwrap();
    assert_eq!(opened.metadata.session_id(), big.metadata().session_id());
    let again = c
        .seal_bytes(&original, Some(&opened.metadata), &request, at(5))
        .unwrap();
    assert_eq!((again.chunk_count(), again.deleted_count()), (3, 3));
    for (line, index) in again.headers()[3..].iter().zip([3, 9, 15]) {
        assert!(
            line.starts_with(&format!("{name}.{index}=; Max-Age=0")),
            "{line}"
        );
    }

    // An unchunked value with chunk cookies beside it: the chunks are leftovers too.
    let single = seal(&c, 10).unwrap();
    let header = format!(
        "{}; {name}.1={}; {name}.2={}",
        cookie_header(&single),
        value_of(&p[1]),
        value_of(&p[2])
    );
    assert_eq!(open(&c, &header).unwrap(), data(10));
    let header = format!("{name}.1={}; {}", value_of(&p[1]), cookie_header(&single));
    assert_eq!(open(&c, &header).unwrap(), data(10));
    let request = RequestCookies::from_header(&header);
    let resealed = c.seal_bytes(&data(10), None, &request, at(5)).unwrap();
    assert_eq!((resealed.chunk_count(), resealed.deleted_count()), (1, 1));
    assert!(resealed.headers()[1].starts_with(&format!("{name}.1=; Max-Age=0")));

    // Chunk cookies without any head: no session, and the next seal deletes them all.
    let headless = format!("{}; {}; {name}.9=x", p[1], p[2]);
    let request = RequestCookies::from_header(&headless);
    assert_eq!(c.open_bytes(&request, now()), Ok(None));
    let fresh = c.seal_bytes(b"new", None, &request, now()).unwrap();
    assert_eq!((fresh.chunk_count(), fresh.deleted_count()), (1, 3));

    // Names that are not canonical chunk names are other cookies: ignored, never deleted.
    let header = format!(
        "{}; {name}.16=x; {name}.01=x; {name}.=x; {name}x.1=x",
        p.join("; ")
    );
    assert_eq!(open(&c, &header).unwrap(), original);
    let request = RequestCookies::from_header(&header);
    let same = c.seal_bytes(&original, None, &request, now()).unwrap();
    assert_eq!(same.deleted_count(), 0);
}

#[test]
fn a_planted_chunk_of_another_generation_beside_the_real_one_is_ignored() {
    let (c, first, p) = chunked(3);
    let original = data(2 * 2_900 + 500);
    let name = c.cookie_name().to_owned();
    // Another session's chunk 1, and a later seal's chunk 1 of this same session: each has a
    // generation other than the head's. A sibling subdomain can plant such a cookie under the
    // same name (cookie tossing); the browser sends both.
    let (_, _, other) = chunked(3);
    let later = c
        .seal_bytes(
            &original,
            Some(first.metadata()),
            &RequestCookies::new(),
            at(1),
        )
        .unwrap();
    let later = pairs(&later);
    for planted in [&other[1], &later[1], &format!("{name}.1=not*base64")] {
        // Both header orders: the planted cookie before and after the real one.
        for planted_first in [true, false] {
            let mut set = vec![p[0].clone()];
            if planted_first {
                set.extend([planted.clone(), p[1].clone()]);
            } else {
                set.extend([p[1].clone(), planted.clone()]);
            }
            set.push(p[2].clone());
            assert_eq!(
                open_pairs(&c, &set).unwrap(),
                original,
                "planted {planted} first: {planted_first}"
            );
        }
    }
    // Planted copies of the last chunk too, up to four cookies of one name.
    let mut set = p.clone();
    set.insert(2, other[2].clone());
    set.insert(0, later[2].clone());
    set.push(format!("{name}.2=AAAA"));
    assert_eq!(open_pairs(&c, &set).unwrap(), original);
    // A fifth cookie of one name is more than opening looks at: ambiguous.
    set.push(format!("{name}.2=AAAA"));
    assert_eq!(
        open_pairs(&c, &set).unwrap_err(),
        Error::Chunks(ChunkError::Duplicate { index: 2 })
    );
    // Only planted ones and no real one: the mismatch is reported.
    let mut set = p.clone();
    set[1] = other[1].clone();
    set.push(later[1].clone());
    assert_eq!(
        open_pairs(&c, &set).unwrap_err(),
        Error::Chunks(ChunkError::MixedGeneration)
    );
    // Only undecodable candidates: malformed.
    let mut set = p.clone();
    set[1] = format!("{name}.1=not*base64");
    set.push(format!("{name}.1=*"));
    assert!(matches!(
        open_pairs(&c, &set).unwrap_err(),
        Error::Malformed { .. }
    ));
    // With no match, the error is that of the slot's first cookie (FORMAT.md 5.3, step 8).
    for (first, second, garbage_first) in [
        (format!("{name}.1=not*base64"), other[1].clone(), true),
        (other[1].clone(), format!("{name}.1=not*base64"), false),
    ] {
        let set = [p[0].clone(), first, second, p[2].clone()];
        let e = open_pairs(&c, &set).unwrap_err();
        if garbage_first {
            assert!(matches!(e, Error::Malformed { .. }), "{e:?}");
        } else {
            assert_eq!(e, Error::Chunks(ChunkError::MixedGeneration));
        }
    }
    // A planted head beside the real head is never guessed at, whatever the order.
    for set in [
        [p[0].clone(), other[0].clone(), p[1].clone(), p[2].clone()],
        [other[0].clone(), p[0].clone(), p[1].clone(), p[2].clone()],
    ] {
        assert_eq!(
            open_pairs(&c, &set).unwrap_err(),
            Error::Chunks(ChunkError::Duplicate { index: 0 })
        );
    }
}

#[test]
fn ignored_cookies_still_count_toward_the_request_budget() {
    let (roomy, _, p) = chunked(3);
    let name = roomy.cookie_name().to_owned();
    let needed = p.join("; ").len();
    // A codec whose budget the real cookies fill exactly.
    let c = codec(DEFAULT_MAX_COOKIE_BYTES, needed);
    let original = data(2 * 2_900 + 500);
    assert_eq!(open_pairs(&c, &p).unwrap(), original);
    // Any further cookie of the session's names goes over it, though opening would ignore it:
    // the size is checked before anything is decoded.
    for extra in [
        format!("{name}.9=A"),
        format!("{name}.1=A"),
        format!("{name}.3={}", value_of(&p[1])),
    ] {
        let mut more = p.clone();
        more.push(extra.clone());
        assert_eq!(
            open_pairs(&c, &more).unwrap_err(),
            Error::TooLarge {
                needed: needed + 2 + extra.len(),
                budget: needed
            },
            "{extra}"
        );
    }
    // A whole value beside leftover chunks: the leftovers count too.
    let single = seal(&c, 10).unwrap();
    let whole = cookie_header(&single);
    let small = codec(DEFAULT_MAX_COOKIE_BYTES, whole.len());
    assert_eq!(open(&small, &whole).unwrap(), data(10));
    let header = format!("{whole}; {name}.1=A");
    assert_eq!(
        open(&small, &header).unwrap_err(),
        Error::TooLarge {
            needed: header.len(),
            budget: whole.len()
        }
    );
    // Leftovers without a head are no session within the budget, and too large beyond it.
    let headless = p[1..].join("; ");
    let fits = codec(DEFAULT_MAX_COOKIE_BYTES, headless.len());
    assert_eq!(
        fits.open_bytes(&RequestCookies::from_header(&headless), now()),
        Ok(None)
    );
    let short = codec(DEFAULT_MAX_COOKIE_BYTES, headless.len() - 1);
    assert_eq!(
        short
            .open_bytes(&RequestCookies::from_header(&headless), now())
            .unwrap_err(),
        Error::TooLarge {
            needed: headless.len(),
            budget: headless.len() - 1
        }
    );
}

#[test]
fn chunks_from_another_seal_of_the_same_session_are_mixed_generation() {
    let (c, first, p) = chunked(3);
    let n = 2 * 2_900 + 500;
    let again = c
        .seal_bytes(
            &data(n),
            Some(first.metadata()),
            &RequestCookies::new(),
            at(1),
        )
        .unwrap();
    assert_eq!(again.metadata().session_id(), first.metadata().session_id());
    let q = pairs(&again);
    assert_eq!(q.len(), 3);
    for swapped in 0..3 {
        let mut mixed = p.clone();
        mixed[swapped] = q[swapped].clone();
        assert_eq!(
            open_pairs(&c, &mixed).unwrap_err(),
            Error::Chunks(ChunkError::MixedGeneration),
            "chunk {swapped} from the second seal"
        );
    }
}

#[test]
fn chunks_of_another_session_are_rejected() {
    let (c, _, p) = chunked(3);
    let (_, _, other) = chunked(3);
    let mut foreign = p.clone();
    foreign[1] = other[1].clone();
    assert_eq!(
        open_pairs(&c, &foreign).unwrap_err(),
        Error::Chunks(ChunkError::MixedGeneration)
    );
    // A chunk of a session with another chunk count.
    let (_, _, four) = chunked(4);
    let mut foreign = p.clone();
    foreign[2] = four[2].clone();
    assert_eq!(
        open_pairs(&c, &foreign).unwrap_err(),
        Error::Chunks(ChunkError::MixedGeneration)
    );
    // Two chunks swapped between names.
    let mut swapped = p.clone();
    let v1 = value_of(&p[1]).to_owned();
    let v2 = value_of(&p[2]).to_owned();
    swapped[1] = format!("{}.1={v2}", c.cookie_name());
    swapped[2] = format!("{}.2={v1}", c.cookie_name());
    assert_eq!(
        open_pairs(&c, &swapped).unwrap_err(),
        Error::Chunks(ChunkError::MixedGeneration)
    );
}

#[test]
fn a_foreign_chunk_forged_to_match_the_generation_fails_authentication() {
    let (c, _, p) = chunked(3);
    let (_, _, other) = chunked(3);
    let mine = b64_decode(value_of(&p[0]));
    let mut forged = b64_decode(value_of(&other[1]));
    // Frame: marker, index, count, generation (4), piece.
    forged[3..7].copy_from_slice(&mine[3..7]);
    let mut set = p.clone();
    set[1] = format!("{}.1={}", c.cookie_name(), b64_encode(&forged));
    assert_eq!(open_pairs(&c, &set).unwrap_err(), Error::Authentication);
}

#[test]
fn chunk_count_beyond_the_cap_is_rejected() {
    let c = codec(DEFAULT_MAX_COOKIE_BYTES, MAX_TOTAL_BYTES);
    let mut frame = vec![0x1c, 0, (MAX_CHUNKS + 1) as u8, 1, 2, 3, 4];
    frame.extend_from_slice(&[0x55; 40]);
    let header = format!("{}={}", c.cookie_name(), b64_encode(&frame));
    assert_eq!(
        open(&c, &header).unwrap_err(),
        Error::Chunks(ChunkError::TooMany {
            count: MAX_CHUNKS + 1,
            max: MAX_CHUNKS
        })
    );
    // A garbage chunk is malformed, not a panic.
    let (c, _, p) = chunked(2);
    let header = format!("{}; {}.1=not*base64", p[0], c.cookie_name());
    assert!(matches!(
        open(&c, &header).unwrap_err(),
        Error::Malformed { .. }
    ));
}

#[test]
fn shrinking_session_deletes_the_stale_chunks() {
    let (c, big, p) = chunked(3);
    let request_header = p.join("; ");
    let request = RequestCookies::from_header(&request_header);
    let name = c.cookie_name().to_owned();

    let small = c
        .seal_bytes(b"tiny", Some(big.metadata()), &request, at(5))
        .unwrap();
    assert_eq!(small.chunk_count(), 1);
    assert_eq!(small.deleted_count(), 2);
    assert_eq!(small.headers().len(), 3);
    for (line, index) in small.headers()[1..].iter().zip([1, 2]) {
        assert!(
            line.starts_with(&format!("{name}.{index}=; Max-Age=0")),
            "{line}"
        );
        assert!(
            line.contains("; Expires=Thu, 01 Jan 1970 00:00:00 GMT"),
            "{line}"
        );
        assert!(
            line.ends_with("; Path=/; Secure; HttpOnly; SameSite=Lax"),
            "{line}"
        );
    }
    assert_eq!(small.metadata().session_id(), big.metadata().session_id());
    // The browser keeps only the new cookie: it opens.
    let opened = c.open_bytes(&RequestCookies::from_header(&cookie_header(&small)), at(5));
    assert_eq!(opened.unwrap().unwrap().session, b"tiny");

    // 3 chunks down to 2: only chunk 2 goes.
    let two = c
        .seal_bytes(&data(3_500), Some(big.metadata()), &request, at(5))
        .unwrap();
    assert_eq!(two.chunk_count(), 2);
    assert_eq!(two.deleted_count(), 1);
    assert!(two.headers()[2].starts_with(&format!("{name}.2=; Max-Age=0")));

    // Growing or keeping the size deletes nothing.
    let same = c
        .seal_bytes(
            &data(2 * 2_900 + 500),
            Some(big.metadata()),
            &request,
            at(5),
        )
        .unwrap();
    assert_eq!(
        (
            same.chunk_count(),
            same.deleted_count(),
            same.headers().len()
        ),
        (3, 0, 3)
    );

    // Unrelated cookies in the request are never deleted.
    let unrelated = RequestCookies::from_header("other.1=x; other=y; s.1=z");
    let s = c.seal_bytes(b"x", None, &unrelated, at(5)).unwrap();
    assert_eq!((s.deleted_count(), s.headers().len()), (0, 1));
}

#[test]
fn huge_cookie_headers_are_rejected_before_decoding() {
    let c = codec(DEFAULT_MAX_COOKIE_BYTES, DEFAULT_MAX_TOTAL_BYTES);
    let name = c.cookie_name();
    // 1 MiB of characters that are not even base64url: TooLarge, not Malformed.
    let value = "*".repeat(1 << 20);
    let header = format!("{name}={value}");
    assert_eq!(
        open(&c, &header).unwrap_err(),
        Error::TooLarge {
            needed: name.len() + 1 + value.len(),
            budget: DEFAULT_MAX_TOTAL_BYTES
        }
    );
    // 1 MiB spread over chunk cookies.
    let piece = "A".repeat(1 << 16);
    let header: Vec<String> = (0..16)
        .map(|i| {
            if i == 0 {
                format!("{name}={piece}")
            } else {
                format!("{name}.{i}={piece}")
            }
        })
        .collect();
    assert!(matches!(
        open(&c, &header.join("; ")).unwrap_err(),
        Error::TooLarge { .. }
    ));
    // One byte over the budget is already too large.
    let value = "A".repeat(DEFAULT_MAX_TOTAL_BYTES - name.len());
    let header = format!("{name}={value}");
    assert_eq!(header.len(), DEFAULT_MAX_TOTAL_BYTES + 1);
    assert_eq!(
        open(&c, &header).unwrap_err(),
        Error::TooLarge {
            needed: DEFAULT_MAX_TOTAL_BYTES + 1,
            budget: DEFAULT_MAX_TOTAL_BYTES
        }
    );
    // At the budget it is decoded (and found malformed, since it is no sealed value).
    let header = &header[..header.len() - 1];
    assert!(matches!(
        open(&c, header).unwrap_err(),
        Error::Malformed { .. }
    ));

    // 1 MiB of other cookies does not count against the session's budget.
    let sealed = seal(&c, 100).unwrap();
    let big_other = format!("junk={}; {}", "j".repeat(1 << 20), cookie_header(&sealed));
    assert_eq!(open(&c, &big_other).unwrap(), data(100));
}

#[test]
fn every_line_is_within_the_limit_across_sizes_and_modes() {
    for mode in [Mode::Encrypted, Mode::Signed] {
        for per_cookie in [400, 1_000, DEFAULT_MAX_COOKIE_BYTES, MAX_COOKIE_BYTES] {
            let c = Codec::<()>::builder(ring())
                .mode(mode)
                .max_cookie_bytes(per_cookie)
                .max_total_bytes(MAX_TOTAL_BYTES)
                .build()
                .unwrap();
            for n in (0..12_000).step_by(997) {
                match seal(&c, n) {
                    Ok(s) => {
                        assert_lines_within(&s, per_cookie);
                        assert_eq!(s.cookie_header_bytes(), header_bytes(&s));
                        assert_eq!(open(&c, &cookie_header(&s)).unwrap(), data(n));
                    }
                    Err(Error::TooLarge { .. }) => assert!(per_cookie <= 1_000, "n={n}"),
                    Err(e) => panic!("{e}"),
                }
            }
        }
    }
}
