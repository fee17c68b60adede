#!/usr/bin/env python3
"""Renders the results of `compare run` (comparison.json) as docs/COMPARISON.md and an SVG
chart. Python standard library only; every figure in the output comes from the JSON.

    python3 compare/render.py docs/comparison.json --md docs/COMPARISON.md --svg docs/comparison.svg
"""
import argparse
import datetime
import html
import json
import os


def fmt(n, digits=0):
    if n is None:
        return "n/a"
    if digits == 0:
        return f"{round(n):,}"
    return f"{n:,.{digits}f}"


def kb(n):
    return "n/a" if n is None else f"{n / 1000:,.1f} KB" if n >= 1000 else f"{round(n)} B"


def by_name(report):
    return {v["name"]: v for v in report["variants"]}


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def largest_accepted(v):
    ok = [s["items"] for s in v["sizes"] if s["login_status"] == 200 and s["read_found_it"]]
    refused = [s for s in v["sizes"] if s["login_status"] != 200 or not s["read_found_it"]]
    first_refused = refused[0] if refused else None
    return (max(ok) if ok else None), first_refused


def stale_text(s):
    w = s["writes"]
    o = s["other_node"]
    return f"{o['stale']} stale, {o['missing']} missing, of {w}"


def fault_row(v, key):
    f = v.get(key)
    if not f:
        return ["n/a (no store)", "", "", "", ""]
    first, last = f["first_failure_s"], f["last_failure_s"]
    lost_last = f.get("last_lost_s")
    return [
        fmt(f["failed"]) + f" of {fmt(f['requests_ok'] + f['failed'])}",
        "none" if first is None else f"{first:.2f}-{last:.2f} s",
        fmt(f["sessions_lost"]) + ("" if lost_last is None else f" (last at {lost_last:.1f} s)"),
        fmt(f["stale"]),
        fmt(f["max_ms"]) + " ms",
    ]


def svg_chart(report):
    """Three panels of horizontal bars: requests/s, bytes per request, memory per 100k."""
    variants = report["variants"]
    panels = [
        ("requests/s through nginx (higher is better)",
         lambda v, s: v["throughput"][s]["requests_per_s"], lambda x: fmt(x)),
        ("bytes on the wire per request + response (lower is better)",
         lambda v, s: v["throughput"][s]["request_bytes"] + v["throughput"][s]["response_bytes"],
         lambda x: fmt(x) + " B"),
        ("server memory per 100,000 sessions, MB (lower is better)",
         lambda v, s: max(0.0, v["memory"][s]["per_100k_total_mb"]), lambda x: fmt(x, 1) + " MB"),
    ]
    colors = {"small": "#4878a8", "large": "#e0a040"}
    label_w, bar_w, row_h, gap = 210, 330, 15, 6
    panel_w = label_w + bar_w + 90
    group_h = 2 * row_h + gap
    panel_h = 40 + len(variants) * (group_h + 6)
    width = panel_w * len(panels) + 20
    height = panel_h + 40
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
           f'<rect width="{width}" height="{height}" fill="white"/>']
    for p, (title, value, label) in enumerate(panels):
        x0 = 10 + p * panel_w
        out.append(f'<text x="{x0}" y="18" font-weight="bold">{html.escape(title)}</text>')
        top = max([value(v, s) for v in variants for s in ("small", "large")] + [1e-9])
        for i, v in enumerate(variants):
            y = 34 + i * (group_h + 6)
            out.append(f'<text x="{x0}" y="{y + row_h + 2}">{html.escape(v["label"])}</text>')
            for j, s in enumerate(("small", "large")):
                val = value(v, s)
                w = max(1, bar_w * val / top)
                yy = y + j * (row_h + 2)
                out.append(f'<rect x="{x0 + label_w}" y="{yy}" width="{w:.1f}" height="{row_h}" '
                           f'fill="{colors[s]}"/>')
                out.append(f'<text x="{x0 + label_w + w + 4:.1f}" y="{yy + row_h - 3}">'
                           f'{html.escape(label(val))}</text>')
    ly = height - 14
    for k, (s, c) in enumerate(colors.items()):
        lx = 10 + k * 380
        cs = report["cookie_sizes"][s]
        out.append(f'<rect x="{lx}" y="{ly - 10}" width="12" height="12" fill="{c}"/>')
        out.append(f'<text x="{lx + 16}" y="{ly}">{s} session ({cs["items"]} list items; '
                   f'{cs["cookies"]} cookie(s), {fmt(cs["cookie_header_bytes"])} B sealed)</text>')
    out.append(f'<text x="{width - 10}" y="{ly}" text-anchor="end" fill="#666">'
               f'{html.escape(report["command"])}, {report["mode"]} run</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def markdown(report, svg_name):
    v = by_name(report)
    c, st, r, rep = v.get("cookies"), v.get("sticky"), v.get("redis"), v.get("replication")
    p = report["params"]
    cs = report["cookie_sizes"]
    when = datetime.datetime.fromtimestamp(report["generated_unix"], datetime.timezone.utc)
    variants = report["variants"]
    m = report["machine"]
    ver = report["versions"]
    lines = []
    add = lines.append
    add("# Sessions across a cluster: four designs and a hybrid, measured side by side\n")
    add(f"Generated by `{report['command']}` ({report['mode']} run, {fmt(report['seconds'])} s) on "
        f"{when:%Y-%m-%d %H:%M} UTC; every figure below comes from that one run, on the machine "
        f"described under [Versions and machine](#versions-and-machine), and is in "
        f"[comparison.json](comparison.json). Do not edit this file: run the command again.\n")
    add("The same small axum app (read the session, change it, sign in with a fresh id; a session "
        "of a counter, a name and a list) runs as three nodes behind one nginx in each design. "
        "Source: `compare/` (its own cargo workspace), driven by `scripts/compare.sh`.\n")
    add(f"![requests/s, bytes per request and memory per 100,000 sessions, per design]({svg_name})\n")

    if c and r:
        cl, rl = c["throughput"]["large"], r["throughput"]["large"]
        cr = c["throughput"]["large"]["by_op"]["read"]["request_bytes"]
        rr = r["throughput"]["large"]["by_op"]["read"]["request_bytes"]
        add("## Headline\n")
        add(f"- **Requests/s at {p['users']} concurrent users**, small session: "
            + ", ".join(f"{x['label']} {fmt(x['throughput']['small']['requests_per_s'])}" for x in variants)
            + "; large session: "
            + ", ".join(f"{x['label']} {fmt(x['throughput']['large']['requests_per_s'])}" for x in variants)
            + ".")
        add(f"- **Bytes per request**: with the large session ({cs['large']['cookies']} cookies, "
            f"{fmt(cs['large']['cookie_header_bytes'])} bytes sealed) every read sends "
            f"{fmt(cr)} bytes with cookies, {fmt(rr)} with a session id: the cookie design's cost, "
            f"paid on every request, upstream."
            + (f" The hybrid (the session in Redis once it outgrows one cookie, a sealed reference "
               f"in the cookie) sends {fmt(v['hybrid']['throughput']['large']['by_op']['read']['request_bytes'])}."
               if v.get("hybrid") else ""))
        add("- **Server memory per 100,000 large sessions**: "
            + ", ".join(f"{x['label']} {fmt(x['memory']['large']['per_100k_total_mb'], 1)} MB" for x in variants)
            + ".")
        add("- **A node SIGKILLed mid-run**, requests that found no session: "
            + ", ".join(f"{x['label']} {fmt(x['node_kill']['sessions_lost'])}" for x in variants)
            + "; requests failed: "
            + ", ".join(f"{x['label']} {fmt(x['node_kill']['failed'])}" for x in variants) + ".")
        stores = [x for x in variants if x.get("store_kill")]
        if stores:
            add(f"- **The store SIGKILLed** (started again {p['fault_s'] / 4:g} s later): requests failed: "
                + ", ".join(f"{x['label']} {fmt(x['store_kill']['failed'])}, requests that found no session "
                            f"{fmt(x['store_kill']['sessions_lost'])}" for x in stores)
                + "; the designs without a store have none to lose.")
        if rep:
            add(f"- **Stale reads under replication** (write on one node, read at once on another): "
                f"{stale_text(rep['stale'])} writes.")
        add("")

    add("## Throughput and latency\n")
    add(f"{p['users']} users at once through nginx, each with its own connection, loopback address "
        f"and cookie jar (a real session per user); {p['reads_per_write']} reads to one write, a "
        f"fresh sign-in every {p['relogin_every']} requests; {p['warmup_s']:g} s warm-up, then "
        f"{p['measure_s']:g} s measured. Latency is the client's, through nginx.\n")
    rows = []
    for x in variants:
        t = x["throughput"]
        row = [x["label"]]
        for s in ("small", "large"):
            row += [fmt(t[s]["requests_per_s"]), fmt(t[s]["p50_ms"], 2), fmt(t[s]["p99_ms"], 2)]
        share = t["small"]["requests_per_node"]
        total = max(1, sum(share))
        row.append(" / ".join(f"{100 * n / total:.0f}%" for n in share))
        row.append(fmt(t["small"]["failed"] + t["large"]["failed"]))
        rows.append(row)
    add(table(["design", "small: req/s", "p50 ms", "p99 ms", "large: req/s", "p50 ms", "p99 ms",
               "load per node (small)", "failed"], rows))
    add("")

    add("## Bytes on the wire\n")
    add("Mean bytes per request and per response as the client's socket sent and received them "
        "(request line, headers, body), over the whole mix and for reads alone; the requests carry "
        "only Host and Cookie (a browser adds some 400-600 bytes of its own headers to each). "
        "Store traffic: bytes in and out of every Redis (replication included) per request.\n")
    rows = []
    for x in variants:
        row = [x["label"]]
        for s in ("small", "large"):
            t = x["throughput"][s]
            row += [fmt(t["request_bytes"]), fmt(t["response_bytes"]),
                    fmt(t["by_op"]["read"]["request_bytes"]), fmt(t["store_bytes_per_request"])]
        rows.append(row)
    add(table(["design", "small: request", "response", "read request", "store traffic",
               "large: request", "response", "read request", "store traffic"], rows))
    add("")
    add(f"The sealed cookies themselves (the library's defaults: at most "
        f"{fmt(cs['small']['max_cookie_bytes'])} bytes per cookie, {fmt(cs['small']['max_total_bytes'])} in "
        f"all): small session, {cs['small']['cookies']} cookie of {fmt(cs['small']['cookie_header_bytes'])} "
        f"bytes in the Cookie header; large session ({cs['large']['items']} list items), "
        f"{cs['large']['cookies']} cookies, {fmt(cs['large']['cookie_header_bytes'])} bytes.\n")

    add("## Largest session accepted\n")
    add("A sign-in with lists of growing length through nginx, then a read that must find it.\n")
    rows = []
    for x in variants:
        best, refused = largest_accepted(x)
        note = "" if refused is None else (
            f"{fmt(refused['items'])} items: status {refused['login_status']}")
        rows.append([x["label"], fmt(best), note or "every size tried"])
    add(table(["design", "largest list accepted (items)", "first refused"], rows))
    add("")

    add("## Memory per 100,000 sessions\n")
    add(f"A fresh stack per measurement, warmed up, then {fmt(p['memory_sessions'])} sign-ins of new "
        "visitors (each a new session); the growth of the three nodes' resident memory (VmRSS) and "
        "of every Redis's `used_memory` (primary and replicas), scaled linearly to 100,000 sessions "
        "(×100,000 / sessions created). RSS growth includes the allocator's and the maps' own "
        "growth steps, so small figures are within noise (a negative one means memory was "
        "returned).\n")
    rows = []
    for x in variants:
        row = [x["label"]]
        for s in ("small", "large"):
            mm = x["memory"][s]
            row += [fmt(mm["sessions_created"]), fmt(mm["per_100k_nodes_mb"], 1),
                    fmt(mm["per_100k_store_mb"], 1), fmt(mm["per_100k_total_mb"], 1)]
        rows.append(row)
    add(table(["design", "small: created", "nodes MB", "store MB", "total MB",
               "large: created", "nodes MB", "store MB", "total MB"], rows))
    add("")

    add("## Failures\n")
    fd = p["fault_s"]
    add(f"Each a {fd:g} s mixed run of {p['users']} users through nginx (small session; the hybrid's store kill: large, see the Method), with "
        f"the fault at {fd / 4:g} s and the repair at {fd / 2:g} s. **Node killed**: node 2 "
        f"SIGKILLed, then started again. **Store killed**: the Redis primary SIGKILLed, then "
        "started again (it reloads its append-only file, fsync every second; the replicas then "
        "resynchronise, after Redis's default 5 s `repl-diskless-sync-delay`). Failed: connection "
        "errors, timeouts and 5xx answers, and when (seconds into the run) the first and the last "
        "came. No session found: a request that found no session where its user had one (the "
        "user then signs in again, and each later loss counts again: these are requests, not "
        "distinct users). Stale: a read older than the user's last write, or a write made on "
        "one. Longest: the slowest successful request.\n")
    for key, title in (("node_kill", "A node SIGKILLed"), ("store_kill", "The store SIGKILLed")):
        add(f"**{title}**\n")
        rows = [[x["label"]] + fault_row(x, key) for x in variants]
        add(table(["design", "failed", "failures from-to", "no session found", "stale", "longest"], rows))
        add("")

    add("## Stale reads\n")
    add(f"For {p.get('stale_s', 0):g} s (at most {fmt(p['stale_pairs'])} writes), {p['stale_users']} users "
        "straight to the nodes (no nginx): a write (`POST /incr`) on node i, then at once a read "
        "on node i+1 and a read on node i; meanwhile "
        f"{p['users']} other users run the mixed load through nginx. Stale: the read shows an older "
        "counter; missing: the node has no such session.\n")
    rows = []
    for x in variants:
        s = x["stale"]
        o, sm = s["other_node"], s["same_node"]
        rows.append([x["label"], fmt(s["writes"]), fmt(o["fresh"]), fmt(o["stale"]), fmt(o["missing"]),
                     fmt(sm["fresh"]), fmt(sm["stale"]), fmt(sm["missing"]),
                     fmt(s["writes_without_session"])])
    add(table(["design", "writes", "other node: fresh", "stale", "missing", "same node: fresh",
               "stale", "missing", "writes that found no session"], rows))
    add("")
    st = v.get("sticky")
    if st and st["stale"]["same_node"]["missing"]:
        add("Sticky sessions' same-node misses come from the read on the other node before: "
            "tower-sessions answers a session id it cannot find by deleting the cookie, so a user "
            "sent to the wrong node once has lost the session on its own node too.\n")

    add(reading(report))

    add("## Method\n")
    add("- **Parts.** nginx (one worker) balances three nodes on 127.0.0.1 with the block from the "
        "README's \"Running in a cluster\" (upstream keep-alive, 1 s connect and 2 s read timeouts, "
        "`proxy_next_upstream error timeout http_502 http_503`, three tries), access log off. "
        "*cookies*: this crate's axum layer with its defaults, round robin. *sticky*: tower-sessions "
        "with its `MemoryStore`, nginx `hash $remote_addr consistent` (each user has its own "
        "loopback address; `ip_hash` hashes only the first three octets, which would put every user "
        "on one node, and `hash $cookie_id` cannot keep a user on the node that created the session, "
        "since the first request has no cookie and a sign-in changes the id). *redis*: tower-sessions "
        "with `tower-sessions-redis-store` on one `redis-server` (append-only file, fsync every "
        "second), round robin. *replication*: each node loads sessions from its own "
        "`redis-server --replicaof` the primary and writes to the primary (the replication is "
        "Redis's own), round robin. The Redis clients (fred) fail a command after 1 s and reconnect "
        "every 100 ms. tower-sessions runs with its defaults (cookie `id`, two weeks in the store). "
        "*hybrid*: this crate's axum layer with a total cookie budget of 1,024 bytes and its "
        "`RedisStore` (feature `redis-store`, 500 ms timeout) on one `redis-server` like *redis*'s, "
        "round robin: the small session stays in its cookie, the large one goes to Redis and the "
        "cookie carries a sealed reference; its store-kill phase runs with large sessions (the "
        "store holds nothing else), the other designs' with small ones.")
    add("- **Load.** A Rust client in `compare/` (no wrk: it needs a cookie jar per connection and "
        "a check of every answer): one HTTP/1.1 keep-alive connection per user, its own cookie jar, "
        "and the counter its session must hold, so every response is checked (lost, stale). It "
        "counts the bytes its socket writes and reads.")
    add("- **One machine.** Client, nginx, nodes and Redis share the machine's cores "
        f"({m['cores']}), so the figures compare the designs with each other on this machine; they "
        "are not the capacity of any one part. Each node runs two tokio worker threads. The run "
        "takes the machine alone (`/work/bin/quiet-run` in this project's workflow).")
    add("- **Memory** is measured on a fresh stack per design and size (see above); the load phases "
        "share one stack per design; the stale-read phase goes straight to the nodes' ports.\n")

    add("## Versions and machine\n")
    add(f"- nginx {ver['nginx']}; {ver['redis']}; {ver['rustc']}")
    add("- crates (compare/Cargo.lock): " + ", ".join(f"{k} {v2}" for k, v2 in sorted(ver["crates"].items())))
    add(f"- {m['cpu']}, {m['cores']} cores, {fmt(int(m['mem_total_kb'] or 0) / 1e6, 1)} GB, Linux "
        f"{m['kernel']}; load average before {m['loadavg_before']}, after {m['loadavg_after']}")
    add(f"- parameters: {json.dumps(p, sort_keys=True)}\n")
    add("Reproduce: `scripts/compare.sh` (installs nginx and redis-server when missing; about "
        f"{fmt(report['seconds'] / 60, 0)} minutes plus the build). `scripts/compare.sh --smoke` is "
        "the short run CI does.")
    return "\n".join(lines) + "\n"


def reading(report):
    v = by_name(report)
    c, st, r, rep = v.get("cookies"), v.get("sticky"), v.get("redis"), v.get("replication")
    if not (c and st and r and rep):
        return "## Reading\n\n(not every design ran: no reading)\n"
    cs = report["cookie_sizes"]
    cl, rl = c["throughput"]["large"], r["throughput"]["large"]
    out = ["## Reading\n"]
    out.append("Where cookies lose:\n")
    out.append(f"- **Bytes on every request.** A read with the large session sends "
               f"{fmt(cl['by_op']['read']['request_bytes'])} bytes with cookies against "
               f"{fmt(rl['by_op']['read']['request_bytes'])} with a session id, and every write "
               f"answers with the whole sealed session again ({fmt(cl['by_op']['incr']['response_bytes'])} "
               f"bytes against {fmt(rl['by_op']['incr']['response_bytes'])}). On a client's uplink "
               "(mobile, far away) that is the cost that matters, and it is paid on every request "
               "to the site, images included unless they are on another domain.")
    best, refused = largest_accepted(c)
    out.append(f"- **Size limits.** The cookie design refuses a session past its budget "
               f"({fmt(cs['large']['max_total_bytes'])} bytes of cookies by default, under nginx's "
               f"8 KiB header line): the largest list accepted here was {fmt(best)} items"
               + (f", {fmt(refused['items'])} was refused with {refused['login_status']}" if refused else "")
               + ". The store designs took every size tried. The library refuses cleanly "
               "(`Error::TooLarge` before anything is sent), but the app must keep its session small.")
    out.append("- **No server-side kill switch.** A store deletes a session and it is gone on the "
               "next request on every node. A sealed cookie stays valid until it expires unless "
               "every node consults a revocation list (the crate's `Revocation` hook: an in-memory "
               "list or a per-user \"valid after\" per node); sharing it across nodes is work the "
               "store designs do not need.")
    cs_, sts = c["throughput"]["small"], st["throughput"]["small"]
    if sts["requests_per_s"] > cs_["requests_per_s"]:
        out.append(f"- **Throughput against sticky in-memory sessions.** The in-memory store served "
                   f"{fmt(sts['requests_per_s'])} requests/s with the small session and "
                   f"{fmt(st['throughput']['large']['requests_per_s'])} with the large one, against "
                   f"{fmt(cs_['requests_per_s'])} and {fmt(cl['requests_per_s'])} for cookies: it does "
                   "no cryptography and no I/O, where the cookie layer opens (XAES-256-GCM) every "
                   "request's session and seals every write. What sticky sessions pay for it is below.")
    if cl["requests_per_s"] < rl["requests_per_s"]:
        out.append(f"- **Throughput with large sessions.** Opening and sealing "
                   f"{fmt(cs['large']['cookie_header_bytes'])} bytes on each request cost more here "
                   f"than a Redis round trip on loopback: {fmt(cl['requests_per_s'])} against "
                   f"{fmt(rl['requests_per_s'])} requests/s. On a real network the round trip grows, "
                   "the sealing does not.")
    out.append("\nWhere cookies win:\n")
    rs = r["throughput"]["small"]
    if cs_["requests_per_s"] > rs["requests_per_s"]:
        out.append(f"- **Throughput against a store.** Cookies served {fmt(cs_['requests_per_s'])} "
                   f"requests/s (small) and {fmt(cl['requests_per_s'])} (large), the Redis session server "
                   f"{fmt(rs['requests_per_s'])} and {fmt(rl['requests_per_s'])}, with p99 "
                   f"{fmt(cs_['p99_ms'], 2)} / {fmt(cl['p99_ms'], 2)} ms against {fmt(rs['p99_ms'], 2)} / "
                   f"{fmt(rl['p99_ms'], 2)} ms, and that with Redis on loopback: a store across a real "
                   "network adds its round trip to every request.")
    nk = c["node_kill"]
    stk = st["node_kill"]
    out.append(f"- **A node dies.** With cookies {fmt(nk['sessions_lost'])} requests found no session and "
               f"failed {fmt(nk['failed'])} requests (only a request in flight on the killed node can "
               f"fail: nginx resends the others to another node, and every node opens every session); with sticky sessions "
               f"{fmt(stk['sessions_lost'])} requests found no session: the users hashed to that node find no session on the node nginx sends them "
               "to instead, and none again on the restarted, empty node when they are sent back.")
    sk = [x for x in (r, rep) if x.get("store_kill")]
    if sk:
        out.append("- **No store to lose.** Killing the Redis primary failed "
                   + ", ".join(f"{fmt(x['store_kill']['failed'])} requests, and "
                               f"{fmt(x['store_kill']['sessions_lost'])} requests found no session"
                               + ("" if x['store_kill'].get('last_lost_s') is None else
                                  f" (the last {x['store_kill']['last_lost_s']:.1f} s into the "
                                  f"{report['params']['fault_s']:g} s run)")
                               + f" ({x['label']}, slowest request {fmt(x['store_kill']['max_ms'])} ms)"
                               for x in sk)
                   + "; the cookie design has no such tier to run, patch, fail over or size.")
    out.append(f"- **Memory.** Server memory per 100,000 large sessions: cookies "
               f"{fmt(c['memory']['large']['per_100k_total_mb'], 1)} MB (noise: the server keeps "
               f"nothing), sticky {fmt(st['memory']['large']['per_100k_total_mb'], 1)} MB, Redis "
               f"{fmt(r['memory']['large']['per_100k_total_mb'], 1)} MB, replication "
               f"{fmt(rep['memory']['large']['per_100k_total_mb'], 1)} MB (every replica holds "
               "every session).")
    ro = rep["stale"]["other_node"]
    out.append(f"- **No stale reads.** Under replication {fmt(ro['stale'])} of {fmt(rep['stale']['writes'])} "
               f"reads on another node right after a write were stale (and "
               f"{fmt(rep['stale']['same_node']['stale'])} on the same node, which reads its replica too); "
               f"a stale read followed by a write loses the first write. Cookies: "
               f"{fmt(c['stale']['other_node']['stale'])}: the session travels with the request. "
               f"Sticky sessions are not readable on another node at all "
               f"({fmt(st['stale']['other_node']['missing'])} of {fmt(st['stale']['writes'])} missing).")
    load = st["throughput"]["small"]["requests_per_node"]
    tot = max(1, sum(load))
    out.append(f"- **Even load.** Round robin spreads requests evenly; the sticky hash put "
               + " / ".join(f"{100 * n / tot:.0f}%" for n in load)
               + f" of the requests on the three nodes for {report['params']['users']} users.")
    hy = v.get("hybrid")
    if hy:
        hl = hy["throughput"]["large"]
        hk = hy.get("store_kill") or {}
        out.append("\nThe hybrid (this crate's layer with a store for what outgrows one cookie):\n")
        out.append(f"- **Bytes.** With the large session a read sends "
                   f"{fmt(hl['by_op']['read']['request_bytes'])} bytes (cookies alone: "
                   f"{fmt(cl['by_op']['read']['request_bytes'])}, a session id: "
                   f"{fmt(rl['by_op']['read']['request_bytes'])}); with the small one it is the "
                   f"cookie design, byte for byte ({fmt(hy['throughput']['small']['by_op']['read']['request_bytes'])} "
                   f"against {fmt(cs_['by_op']['read']['request_bytes'])}).")
        out.append(f"- **Cost.** Large sessions pay a Redis round trip and the sealing of the entry: "
                   f"{fmt(hl['requests_per_s'])} requests/s (p99 {fmt(hl['p99_ms'], 2)} ms) against "
                   f"{fmt(cl['requests_per_s'])} for cookies and {fmt(rl['requests_per_s'])} for the "
                   f"Redis session server; store traffic {fmt(hl['store_bytes_per_request'])} bytes per "
                   f"request against {fmt(rl['store_bytes_per_request'])}. Memory per 100,000 large "
                   f"sessions: {fmt(hy['memory']['large']['per_100k_total_mb'], 1)} MB (nodes and Redis).")
        best_h, refused_h = largest_accepted(hy)
        out.append(f"- **Size.** The largest list accepted was {fmt(best_h)} items"
                   + (f" ({fmt(refused_h['items'])} refused with {refused_h['login_status']}: the "
                      "store's entry bound, 256 KiB by default)" if refused_h else "")
                   + f", against {fmt(best)} with cookies alone.")
        if hk:
            window = (f", all between {hk['first_failure_s']:.2f} and {hk['last_failure_s']:.2f} s"
                      if hk.get('first_failure_s') is not None else "")
            out.append(f"- **The store killed** with large sessions: {fmt(hk['failed'])} of "
                       f"{fmt(hk['failed'] + hk['requests_ok'])} requests failed{window}, and "
                       f"{fmt(hk['sessions_lost'])} found no session. While Redis is down the layer "
                       "answers at once (a read without its session, its cookies left alone; a change "
                       "with 503), where the session server's Redis client holds each request for up "
                       "to its 1 s timeout; so the users of the hybrid sent many more requests in the "
                       "same window, and the count of failures is not comparable with the session "
                       "server's, the window is. When Redis is back, the sessions it kept are back too (the layer "
                       "deleted nothing). Small sessions never touch Redis.")
    out.append("")
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("json")
    ap.add_argument("--md", required=True)
    ap.add_argument("--svg", required=True)
    a = ap.parse_args()
    with open(a.json) as f:
        report = json.load(f)
    with open(a.svg, "w") as f:
        f.write(svg_chart(report))
    with open(a.md, "w") as f:
        f.write(markdown(report, os.path.basename(a.svg)))
    print(f"wrote {a.md} and {a.svg}")


if __name__ == "__main__":
    main()
