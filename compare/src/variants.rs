//! The compared variants, as data: which session stack the nodes run, which store processes
//! the stack starts, and how nginx balances. A fifth variant is one more entry here, one more
//! [`NodeKind`] arm in `node.rs` (its router), and, if it needs a new kind of store, one more
//! [`StoreKind`] arm in `redis.rs` and `stack.rs`; every phase and the report take it from this table.

/// What a node runs for its sessions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeKind {
    /// This crate's axum layer: the session sealed in cookies.
    SealedCookies,
    /// This crate's axum layer with a one-cookie budget and its Redis store: a session that
    /// does not fit one cookie is kept in Redis, the cookie holds a sealed reference.
    SealedHybrid,
    /// tower-sessions with its in-memory store.
    TowerMemory,
    /// tower-sessions with its Redis store, on one Redis.
    TowerRedis,
    /// tower-sessions, loading from the node's own Redis replica, writing to the primary.
    TowerRedisReplica,
}

/// The store processes the stack runs beside the nodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreKind {
    /// None: the nodes hold nothing shared.
    None,
    /// One `redis-server`, every node's store.
    Redis,
    /// One `redis-server` primary and one `redis-server --replicaof` per node.
    RedisWithReplicas,
}

/// How nginx picks a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Balance {
    /// nginx's default round robin: no affinity.
    RoundRobin,
    /// `hash $remote_addr consistent`: each client stays on one node (every client of the
    /// load has its own loopback address, 127.0.0.2 and up; `ip_hash` would look at the
    /// first three octets only and send them all to one node).
    ClientAddress,
}

/// One variant of the comparison.
#[derive(Clone, Copy, Debug)]
pub struct Variant {
    /// Its name on the command line and in the results.
    pub name: &'static str,
    /// Its name in the table.
    pub label: &'static str,
    pub node: NodeKind,
    pub store: StoreKind,
    pub balance: Balance,
    /// The cookie that carries the session (or its id).
    pub cookie: &'static str,
}

pub const VARIANTS: &[Variant] = &[
    Variant {
        name: "cookies",
        label: "sealed cookies (this crate)",
        node: NodeKind::SealedCookies,
        store: StoreKind::None,
        balance: Balance::RoundRobin,
        cookie: "__Host-session",
    },
    Variant {
        name: "hybrid",
        label: "sealed cookies + Redis for large (this crate)",
        node: NodeKind::SealedHybrid,
        store: StoreKind::Redis,
        balance: Balance::RoundRobin,
        cookie: "__Host-session",
    },
    Variant {
        name: "sticky",
        label: "sticky sessions (in-memory)",
        node: NodeKind::TowerMemory,
        store: StoreKind::None,
        balance: Balance::ClientAddress,
        cookie: "id",
    },
    Variant {
        name: "redis",
        label: "session server (Redis)",
        node: NodeKind::TowerRedis,
        store: StoreKind::Redis,
        balance: Balance::RoundRobin,
        cookie: "id",
    },
    Variant {
        name: "replication",
        label: "replication (Redis replicas)",
        node: NodeKind::TowerRedisReplica,
        store: StoreKind::RedisWithReplicas,
        balance: Balance::RoundRobin,
        cookie: "id",
    },
];

impl Variant {
    pub fn by_name(name: &str) -> Result<Variant, String> {
        VARIANTS
            .iter()
            .find(|v| v.name == name)
            .copied()
            .ok_or_else(|| format!("unknown variant {name}"))
    }

    /// Whether there is a store process to kill (the "store killed" phase).
    pub fn has_store(&self) -> bool {
        self.store != StoreKind::None
    }
}
