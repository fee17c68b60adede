//! Session schema versions: which versions of the session type a codec reads, and which one it
//! writes at a given time.
//!
//! postcard encodes a struct as its fields in order, without names or tags, so a changed type
//! cannot read bytes written by the old one (and a reordering of two fields of one type reads
//! them swapped, silently). Each sealed value therefore carries the schema version it was
//! written with (format v2), and a codec reads its current type plus any older version the app
//! registers with a conversion, and refuses versions it does not know with
//! [`Error::UnknownSchema`], which the adapters treat as "another release can read this": left
//! alone, never overwritten. Writing a new version starts at a scheduled instant on every node
//! (the way a key's `not_before` does): until then a release that already reads the new version
//! keeps writing the old one.

use core::fmt;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::Error;

type Upgrade<T> = Box<dyn Fn(&[u8]) -> Result<T, Error> + Send + Sync>;
type Downgrade<T> = Box<dyn Fn(&T) -> Result<Vec<u8>, Error> + Send + Sync>;

/// The schema versions one codec reads and writes.
pub(crate) struct Schemas<T> {
    /// The version of `T` itself.
    pub(crate) current: u32,
    older: Vec<(u32, Upgrade<T>)>,
    /// Until `until` (Unix seconds), seal this older version instead of `current`.
    older_writer: Option<(u32, u64, Downgrade<T>)>,
}

impl<T> Default for Schemas<T> {
    fn default() -> Self {
        Schemas {
            current: 0,
            older: Vec::new(),
            older_writer: None,
        }
    }
}

impl<T> fmt::Debug for Schemas<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let older: Vec<u32> = self.older.iter().map(|(v, _)| *v).collect();
        f.debug_struct("Schemas")
            .field("current", &self.current)
            .field("older", &older)
            .field(
                "sealing_older_until",
                &self.older_writer.as_ref().map(|(v, until, _)| (*v, *until)),
            )
            .finish()
    }
}

impl<T> Schemas<T> {
    pub(crate) fn add_older<Old: DeserializeOwned + 'static>(
        &mut self,
        version: u32,
        upgrade: impl Fn(Old) -> T + Send + Sync + 'static,
    ) where
        T: 'static,
    {
        self.older.retain(|(v, _)| *v != version);
        self.older.push((
            version,
            Box::new(move |bytes| deserialize::<Old>(bytes).map(&upgrade)),
        ));
    }

    pub(crate) fn seal_older_until<Old: Serialize + 'static>(
        &mut self,
        version: u32,
        until: u64,
        downgrade: impl Fn(&T) -> Old + Send + Sync + 'static,
    ) where
        T: 'static,
    {
        self.older_writer = Some((
            version,
            until,
            Box::new(move |value| {
                let old = downgrade(value);
                let mut buf = Vec::with_capacity(serialized_size(&old)?);
                serialize(&old, &mut buf)?;
                Ok(buf)
            }),
        ));
    }

    pub(crate) fn validate(&self) -> Result<(), Error> {
        if self.older.iter().any(|(v, _)| *v >= self.current) {
            return Err(Error::InvalidConfig {
                reason: "an older schema version must be smaller than the current one",
            });
        }
        if let Some((version, _, _)) = &self.older_writer
            && !self.older.iter().any(|(v, _)| v == version)
        {
            return Err(Error::InvalidConfig {
                reason: "a schema version sealed until a switch must also be read (open_older_schema)",
            });
        }
        Ok(())
    }

    /// The version a seal at `now` writes.
    pub(crate) fn sealing_version(&self, now: u64) -> u32 {
        match &self.older_writer {
            Some((version, until, _)) if now < *until => *version,
            _ => self.current,
        }
    }

    /// Writes `value` in the version that seals at `now`; returns that version.
    pub(crate) fn write(&self, value: &T, now: u64) -> Result<(u32, Encoded), Error>
    where
        T: Serialize,
    {
        match &self.older_writer {
            Some((version, until, downgrade)) if now < *until => {
                Ok((*version, Encoded::Bytes(downgrade(value)?)))
            }
            _ => Ok((self.current, Encoded::Current(serialized_size(value)?))),
        }
    }

    /// Reads data written in schema `version`.
    pub(crate) fn read(&self, version: u32, data: &[u8]) -> Result<T, Error>
    where
        T: DeserializeOwned,
    {
        if version == self.current {
            return deserialize(data);
        }
        match self.older.iter().find(|(v, _)| *v == version) {
            Some((_, upgrade)) => upgrade(data),
            None => Err(Error::UnknownSchema { version }),
        }
    }
}

/// How a session value is written into the envelope.
pub(crate) enum Encoded {
    /// Serialize `T` itself, this many bytes.
    Current(usize),
    /// Bytes already serialized (an older schema).
    Bytes(Vec<u8>),
}

const SERIALIZE_FAILED: Error = Error::Serialization {
    reason: "the session value could not be serialized with postcard",
};

/// The exact length of a value's serialization, so the envelope is allocated once.
pub(crate) fn serialized_size<V: Serialize>(value: &V) -> Result<usize, Error> {
    postcard::experimental::serialized_size(value).map_err(|_| SERIALIZE_FAILED)
}

pub(crate) fn serialize<V: Serialize>(value: &V, buf: &mut Vec<u8>) -> Result<(), Error> {
    let taken = core::mem::take(buf);
    *buf = postcard::to_extend(value, taken).map_err(|_| SERIALIZE_FAILED)?;
    Ok(())
}

pub(crate) fn deserialize<V: DeserializeOwned>(data: &[u8]) -> Result<V, Error> {
    match postcard::take_from_bytes(data) {
        Ok((value, [])) => Ok(value),
        // Authentic bytes that are not exactly one value of the type: the type changed
        // without a new schema version.
        Ok(_) => Err(Error::Serialization {
            reason: "bytes left over after the session value (the session type changed without a new schema version?)",
        }),
        Err(_) => Err(Error::Serialization {
            reason: "the payload does not deserialize as the session type of its schema version",
        }),
    }
}
