//! How session and dataset ids are made.

pub use uuid::Uuid;

/// The namespace of alf_fast's stable ids: `uuid5(NAMESPACE_DNS, "ids.alf-fast")`.
pub const STABLE_NAMESPACE: Uuid = Uuid::from_u128(0xe321_158c_193e_5555_a17d_b090_dbf9_a91d);

/// How session and dataset ids are made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdScheme {
    /// Stable UUIDs: `uuid3(STABLE_NAMESPACE, session string id)` for sessions and
    /// `uuid3(STABLE_NAMESPACE, "<session string id>/<rel_path>")` for datasets, so the same tree
    /// gives the same ids everywhere and no two datasets share one.
    Stable,
    /// ONE's scheme under a given namespace: `uuid3(ns, session string id)` and
    /// `uuid3(ns, rel_path)` (dataset ids then repeat across sessions, as in ONE).
    Namespace(Uuid),
    /// ONE's `hash_ids=False`: the session string id and the relative path themselves.
    Strings,
}

impl IdScheme {
    /// The session's UUID, or `None` for string ids.
    pub fn session(self, string_id: &str) -> Option<Uuid> {
        match self {
            IdScheme::Stable => Some(Uuid::new_v3(&STABLE_NAMESPACE, string_id.as_bytes())),
            IdScheme::Namespace(ns) => Some(Uuid::new_v3(&ns, string_id.as_bytes())),
            IdScheme::Strings => None,
        }
    }

    /// The dataset's UUID, or `None` for string ids.
    pub fn dataset(self, session_string_id: &str, rel_path: &str) -> Option<Uuid> {
        match self {
            IdScheme::Stable => {
                let mut name = Vec::with_capacity(session_string_id.len() + 1 + rel_path.len());
                name.extend_from_slice(session_string_id.as_bytes());
                name.push(b'/');
                name.extend_from_slice(rel_path.as_bytes());
                Some(Uuid::new_v3(&STABLE_NAMESPACE, &name))
            }
            IdScheme::Namespace(ns) => Some(Uuid::new_v3(&ns, rel_path.as_bytes())),
            IdScheme::Strings => None,
        }
    }
}
