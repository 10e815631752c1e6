//! Turns a [`Walk`] into the sessions and datasets tables, as Arrow record batches.
//!
//! Columns and their order follow ONE's `make_parquet_db` (contract 2.2-2.3) with the index
//! columns first. Two columns ONE does not have are added for the caller, which drops them before
//! writing ONE's files: `path` (the absolute session folder) and `mtime_ns` (for incremental
//! re-indexing). `qc` is left to the caller, which knows how to mark a dictionary as ordered.

use std::cmp::Ordering;
use std::sync::Arc;

use arrow_array::builder::{StringBuilder, UInt16Builder, UInt64Builder};
use arrow_array::{ArrayRef, BooleanArray, Date32Array, Int64Array, RecordBatch};
use arrow_schema::{DataType, Field, Schema};
pub use uuid::Uuid;

use crate::error::Result;
use crate::walk::{cmp_path, Walk};

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

/// The two tables, ready for the Arrow C interface.
#[derive(Debug)]
pub struct Tables {
    /// `id, lab, subject, date, number, task_protocol, projects, path`.
    pub sessions: RecordBatch,
    /// `eid, id, rel_path, file_size, hash, exists, mtime_ns`.
    pub datasets: RecordBatch,
}

/// Builds both tables. `hashes`, when given, holds one md5 per dataset in walk order; otherwise
/// the `hash` column is null (not ONE's empty string, which makes every later load re-hash).
/// UUID ids are computed on `threads` threads; rows are sorted by id as ONE sorts them, or kept
/// in discovery order for [`IdScheme::Strings`].
pub fn build(
    walk: &Walk,
    scheme: IdScheme,
    hashes: Option<&[String]>,
    threads: usize,
) -> Result<Tables> {
    let n_ses = walk.sessions.len();
    let n_ds = walk.datasets.len();

    let (ses_order, ds_order, ses_ids, ds_ids) = match scheme {
        IdScheme::Strings => (
            (0..n_ses).collect::<Vec<_>>(),
            (0..n_ds).collect::<Vec<_>>(),
            None,
            None,
        ),
        IdScheme::Stable | IdScheme::Namespace(_) => {
            let ns = match scheme {
                IdScheme::Namespace(ns) => ns,
                _ => STABLE_NAMESPACE,
            };
            let ses_ids: Vec<Uuid> = walk
                .sessions
                .iter()
                .map(|s| Uuid::new_v3(&ns, s.string_id.as_bytes()))
                .collect();
            let ds_ids = parallel_map(&walk.datasets, threads, |d| match scheme {
                IdScheme::Namespace(_) => Uuid::new_v3(&ns, d.rel_path.as_bytes()),
                _ => {
                    let sid = &walk.sessions[d.session].string_id;
                    let mut name = Vec::with_capacity(sid.len() + 1 + d.rel_path.len());
                    name.extend_from_slice(sid.as_bytes());
                    name.push(b'/');
                    name.extend_from_slice(d.rel_path.as_bytes());
                    Uuid::new_v3(&ns, &name)
                }
            });
            let mut ses_order: Vec<usize> = (0..n_ses).collect();
            ses_order.sort_unstable_by_key(|&i| ses_ids[i]);
            let mut ds_order: Vec<usize> = (0..n_ds).collect();
            ds_order.sort_unstable_by(|&a, &b| {
                let (da, db) = (&walk.datasets[a], &walk.datasets[b]);
                ses_ids[da.session]
                    .cmp(&ses_ids[db.session])
                    .then_with(|| ds_ids[a].cmp(&ds_ids[b]))
                    // Equal ids only arise from equal relative paths under ONE's scheme in one
                    // session, which cannot happen; the tie-break keeps the sort total anyway.
                    .then_with(|| cmp_path(da.rel_path.as_bytes(), db.rel_path.as_bytes()))
                    .then(Ordering::Equal)
            });
            (ses_order, ds_order, Some(ses_ids), Some(ds_ids))
        }
    };

    let mut buf = Uuid::encode_buffer();
    let mut uuid_str = |u: &Uuid| -> String { u.hyphenated().encode_lower(&mut buf).to_owned() };

    // Sessions.
    let mut id = StringBuilder::with_capacity(n_ses, n_ses * 36);
    let mut lab = StringBuilder::new();
    let mut subject = StringBuilder::new();
    let mut number = UInt16Builder::with_capacity(n_ses);
    let mut path = StringBuilder::new();
    let mut days = Vec::with_capacity(n_ses);
    let mut eid_strings = vec![String::new(); n_ses];
    for &i in &ses_order {
        let s = &walk.sessions[i];
        let sid = match &ses_ids {
            Some(ids) => uuid_str(&ids[i]),
            None => s.string_id.clone(),
        };
        id.append_value(&sid);
        eid_strings[i] = sid;
        lab.append_value(s.parts.lab.as_deref().unwrap_or(""));
        subject.append_value(&s.parts.subject);
        days.push(s.days);
        number.append_value(s.number);
        path.append_value(s.path.to_string_lossy());
    }
    let empty = Arc::new(arrow_array::StringArray::from(vec![""; n_ses])) as ArrayRef;
    let sessions = RecordBatch::try_new(
        Arc::new(Schema::new(vec![
            Field::new("id", DataType::Utf8, false),
            Field::new("lab", DataType::Utf8, false),
            Field::new("subject", DataType::Utf8, false),
            Field::new("date", DataType::Date32, false),
            Field::new("number", DataType::UInt16, false),
            Field::new("task_protocol", DataType::Utf8, false),
            Field::new("projects", DataType::Utf8, false),
            Field::new("path", DataType::Utf8, false),
        ])),
        vec![
            Arc::new(id.finish()),
            Arc::new(lab.finish()),
            Arc::new(subject.finish()),
            Arc::new(Date32Array::from(days)),
            Arc::new(number.finish()),
            Arc::clone(&empty),
            empty,
            Arc::new(path.finish()),
        ],
    )?;

    // Datasets.
    let rel_bytes: usize = walk.datasets.iter().map(|d| d.rel_path.len()).sum();
    let mut eid = StringBuilder::with_capacity(n_ds, n_ds * 36);
    let mut did = StringBuilder::with_capacity(
        n_ds,
        if ds_ids.is_some() {
            n_ds * 36
        } else {
            rel_bytes
        },
    );
    let mut rel = StringBuilder::with_capacity(n_ds, rel_bytes);
    let mut size = UInt64Builder::with_capacity(n_ds);
    let mut hash = StringBuilder::with_capacity(n_ds, if hashes.is_some() { n_ds * 32 } else { 0 });
    let mut mtime = Vec::with_capacity(n_ds);
    for &i in &ds_order {
        let d = &walk.datasets[i];
        eid.append_value(&eid_strings[d.session]);
        match &ds_ids {
            Some(ids) => did.append_value(uuid_str(&ids[i])),
            None => did.append_value(&d.rel_path),
        }
        rel.append_value(&d.rel_path);
        size.append_value(d.size);
        match hashes {
            Some(h) => hash.append_value(&h[i]),
            None => hash.append_null(),
        }
        mtime.push(d.mtime_ns);
    }
    let datasets = RecordBatch::try_new(
        Arc::new(Schema::new(vec![
            Field::new("eid", DataType::Utf8, false),
            Field::new("id", DataType::Utf8, false),
            Field::new("rel_path", DataType::Utf8, false),
            Field::new("file_size", DataType::UInt64, true),
            Field::new("hash", DataType::Utf8, true),
            Field::new("exists", DataType::Boolean, false),
            Field::new("mtime_ns", DataType::Int64, false),
        ])),
        vec![
            Arc::new(eid.finish()),
            Arc::new(did.finish()),
            Arc::new(rel.finish()),
            Arc::new(size.finish()),
            Arc::new(hash.finish()),
            Arc::new(BooleanArray::from(vec![true; n_ds])),
            Arc::new(Int64Array::from(mtime)),
        ],
    )?;
    Ok(Tables { sessions, datasets })
}

/// `items.iter().map(f)` on up to `threads` threads, keeping the order.
fn parallel_map<T: Sync, U: Send + Clone + Default>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> U + Sync,
) -> Vec<U> {
    let threads = threads.max(1);
    let chunk = items.len().div_ceil(threads).max(1);
    let mut out = vec![U::default(); items.len()];
    std::thread::scope(|scope| {
        for (src, dst) in items.chunks(chunk).zip(out.chunks_mut(chunk)) {
            let f = &f;
            scope.spawn(move || {
                for (s, d) in src.iter().zip(dst.iter_mut()) {
                    *d = f(s);
                }
            });
        }
    });
    out
}
