//! Turns a [`Walk`] into the sessions and datasets tables, in Arrow form.
//!
//! Columns and their order follow ONE's `make_parquet_db` (contract 2.2-2.3) with the index
//! columns first, typed `large_string` as pandas writes index columns, so that writing ONE's
//! layout needs no copy. Two columns ONE does not have are added for the caller, which drops
//! them before writing ONE's files: `path` (the absolute session folder) and `mtime_ns` (for
//! incremental re-indexing).
//!
//! The sessions table is one record batch. The datasets table is a [`DatasetStream`] that
//! materialises rows a batch at a time from the walk's compact form: with a million files the
//! string columns alone take 150 MB, and the caller only needs one batch at a time to write
//! parquet row groups.

use std::sync::Arc;

use arrow_array::builder::{LargeStringBuilder, StringBuilder, UInt16Builder, UInt64Builder};
use arrow_array::types::Int8Type;
use arrow_array::{
    ArrayRef, BooleanArray, Date32Array, DictionaryArray, Int64Array, Int8Array, RecordBatch,
    RecordBatchReader, StringArray,
};
use arrow_schema::{ArrowError, DataType, Field, Schema, SchemaRef};

use crate::error::Result;
use crate::hash::hex;
pub use crate::ids::{IdScheme, Uuid, STABLE_NAMESPACE};
use crate::walk::{cmp_path, index_u32, Dataset, Walk};

/// Rows per datasets batch: large enough for efficient parquet row groups, small enough that a
/// batch is a few megabytes.
pub const BATCH_ROWS: usize = 1 << 16;

/// The two tables.
#[derive(Debug)]
pub struct Tables {
    /// `id, lab, subject, date, number, task_protocol, projects, path`.
    pub sessions: RecordBatch,
    /// `eid, id, rel_path, file_size, hash, exists, qc, mtime_ns`, in batches.
    pub datasets: DatasetStream,
}

/// The datasets table, produced one record batch at a time in ONE's row order.
#[derive(Debug)]
pub struct DatasetStream {
    schema: SchemaRef,
    datasets: Vec<Dataset>,
    /// Session id string of each session (index = `Dataset::session`).
    eids: Vec<String>,
    /// Whether ids are UUIDs (`Dataset::id`) rather than the relative paths.
    uuid_ids: bool,
    /// md5 of each dataset, in walk order (`None` where it could not be computed).
    hashes: Option<Vec<Option<[u8; 16]>>>,
    /// Walk indices in output order.
    order: Vec<u32>,
    pos: usize,
}

impl DatasetStream {
    /// Total number of rows.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// True if the table has no rows.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// The schema of every batch.
    pub fn dataset_schema() -> SchemaRef {
        Arc::new(Schema::new(vec![
            Field::new("eid", DataType::LargeUtf8, false),
            Field::new("id", DataType::LargeUtf8, false),
            Field::new("rel_path", DataType::Utf8, false),
            Field::new("file_size", DataType::UInt64, true),
            Field::new("hash", DataType::Utf8, true),
            Field::new("exists", DataType::Boolean, false),
            Field::new_dictionary("qc", DataType::Int8, DataType::Utf8, false)
                .with_dict_is_ordered(true),
            Field::new("mtime_ns", DataType::Int64, false),
        ]))
    }

    fn batch(&self, rows: &[u32]) -> std::result::Result<RecordBatch, ArrowError> {
        let n = rows.len();
        let rel_bytes: usize = rows
            .iter()
            .map(|&i| self.datasets[i as usize].rel_path.len())
            .sum();
        let mut eid = LargeStringBuilder::with_capacity(n, n * 36);
        let mut did =
            LargeStringBuilder::with_capacity(n, if self.uuid_ids { n * 36 } else { rel_bytes });
        let mut rel = StringBuilder::with_capacity(n, rel_bytes);
        let mut size = UInt64Builder::with_capacity(n);
        let hash_bytes = if self.hashes.is_some() { n * 32 } else { 0 };
        let mut hash = StringBuilder::with_capacity(n, hash_bytes);
        let mut mtime = Vec::with_capacity(n);
        let mut buf = Uuid::encode_buffer();
        for &i in rows {
            let i = i as usize;
            let d = &self.datasets[i];
            eid.append_value(&self.eids[d.session as usize]);
            if self.uuid_ids {
                let id = Uuid::from_u128(d.id);
                did.append_value(id.hyphenated().encode_lower(&mut buf));
            } else {
                did.append_value(&d.rel_path);
            }
            rel.append_value(&d.rel_path);
            size.append_value(d.size);
            match &self.hashes {
                Some(h) => match &h[i] {
                    Some(digest) => hash.append_value(hex(digest)),
                    None => hash.append_null(),
                },
                None => hash.append_null(),
            }
            mtime.push(d.mtime_ns);
        }
        RecordBatch::try_new(
            Arc::clone(&self.schema),
            vec![
                Arc::new(eid.finish()),
                Arc::new(did.finish()),
                Arc::new(rel.finish()),
                Arc::new(size.finish()),
                Arc::new(hash.finish()),
                Arc::new(BooleanArray::from(vec![true; n])),
                Arc::new(qc_not_set(n)),
                Arc::new(Int64Array::from(mtime)),
            ],
        )
    }

    /// All remaining rows as batches (convenient for tests and small tables).
    pub fn collect_batches(self) -> std::result::Result<Vec<RecordBatch>, ArrowError> {
        self.collect()
    }
}

impl Iterator for DatasetStream {
    type Item = std::result::Result<RecordBatch, ArrowError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.pos >= self.order.len() {
            return None;
        }
        let end = (self.pos + BATCH_ROWS).min(self.order.len());
        let batch = self.batch(&self.order[self.pos..end]);
        self.pos = end;
        Some(batch)
    }
}

impl RecordBatchReader for DatasetStream {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }
}

/// ONE's QC levels in order; the `qc` column is an ordered dictionary over exactly these.
pub const QC_LEVELS: [&str; 5] = ["NOT_SET", "PASS", "WARNING", "FAIL", "CRITICAL"];

/// A `qc` column of `n` rows, all `NOT_SET`.
fn qc_not_set(n: usize) -> DictionaryArray<Int8Type> {
    let keys = Int8Array::from(vec![0i8; n]);
    DictionaryArray::try_new(keys, Arc::new(StringArray::from(QC_LEVELS.to_vec())))
        .expect("keys are in range")
}

/// Builds both tables from a walk (consumed: its datasets move into the stream). `hashes`,
/// when given, holds one md5 per dataset in walk order; a hash not computed is null (not ONE's
/// empty string, which makes every later load re-hash). Rows are sorted by id as ONE sorts
/// them, or kept in ONE's discovery order for [`IdScheme::Strings`].
pub fn build(
    walk: Walk,
    scheme: IdScheme,
    hashes: Option<Vec<Option<[u8; 16]>>>,
) -> Result<Tables> {
    let n_ses = walk.sessions.len();
    let ses_ids: Option<Vec<Uuid>> = match scheme {
        IdScheme::Strings => None,
        _ => Some(
            walk.sessions
                .iter()
                .map(|s| scheme.session(&s.string_id).unwrap_or_default())
                .collect(),
        ),
    };
    let ds_order = match &ses_ids {
        None => {
            // ONE keeps discovery order here: sessions by path, then each session's files as
            // `sorted(rglob(...))` orders them.
            let mut order: Vec<u32> = (0..index_u32(walk.datasets.len())).collect();
            order.sort_unstable_by(|&a, &b| {
                let (da, db) = (&walk.datasets[a as usize], &walk.datasets[b as usize]);
                da.session
                    .cmp(&db.session)
                    .then_with(|| cmp_path(da.rel_path.as_bytes(), db.rel_path.as_bytes()))
            });
            order
        }
        Some(ses_ids) => order_by_ids(&walk.datasets, ses_ids),
    };

    let mut ses_order: Vec<usize> = (0..n_ses).collect();
    if let Some(ids) = &ses_ids {
        ses_order.sort_unstable_by_key(|&i| ids[i]);
    }
    let eids: Vec<String> = match &ses_ids {
        Some(ids) => ids.iter().map(|u| u.hyphenated().to_string()).collect(),
        None => walk.sessions.iter().map(|s| s.string_id.clone()).collect(),
    };
    let sessions = sessions_batch(&walk, &ses_order, &eids)?;
    Ok(Tables {
        sessions,
        datasets: DatasetStream {
            schema: DatasetStream::dataset_schema(),
            datasets: walk.datasets,
            eids,
            uuid_ids: ses_ids.is_some(),
            hashes,
            order: ds_order,
            pos: 0,
        },
    })
}

/// ONE's row order for UUID ids: by (eid, id). A counting sort by session rank in eid order,
/// then a sort of each session's few datasets by id, needs no key array (32 MB per million
/// rows) and is faster than one comparison sort over everything. The pairs are unique: equal
/// ids need equal relative paths in one session.
fn order_by_ids(datasets: &[Dataset], ses_ids: &[Uuid]) -> Vec<u32> {
    let n_ses = ses_ids.len();
    let mut by_id: Vec<usize> = (0..n_ses).collect();
    by_id.sort_unstable_by_key(|&i| ses_ids[i]);
    let mut count = vec![0usize; n_ses];
    for d in datasets {
        count[d.session as usize] += 1;
    }
    // next[s]: where session s's next dataset goes in `order`.
    let mut next = vec![0usize; n_ses];
    let mut bounds = Vec::with_capacity(n_ses);
    let mut acc = 0;
    for &i in &by_id {
        next[i] = acc;
        bounds.push((acc, acc + count[i]));
        acc += count[i];
    }
    let mut order = vec![0u32; datasets.len()];
    for (i, d) in datasets.iter().enumerate() {
        let slot = &mut next[d.session as usize];
        order[*slot] = index_u32(i);
        *slot += 1;
    }
    for (lo, hi) in bounds {
        order[lo..hi].sort_unstable_by_key(|&i| datasets[i as usize].id);
    }
    order
}

fn sessions_batch(walk: &Walk, order: &[usize], eids: &[String]) -> Result<RecordBatch> {
    let n = order.len();
    let mut id = LargeStringBuilder::with_capacity(n, n * 36);
    let mut lab = StringBuilder::new();
    let mut subject = StringBuilder::new();
    let mut number = UInt16Builder::with_capacity(n);
    let mut path = StringBuilder::new();
    let mut days = Vec::with_capacity(n);
    for &i in order {
        let s = &walk.sessions[i];
        id.append_value(&eids[i]);
        lab.append_value(s.parts.lab.as_deref().unwrap_or(""));
        subject.append_value(&s.parts.subject);
        days.push(s.days);
        number.append_value(s.number);
        path.append_value(s.path.to_string_lossy());
    }
    let empty = Arc::new(StringArray::from(vec![""; n])) as ArrayRef;
    Ok(RecordBatch::try_new(
        Arc::new(Schema::new(vec![
            Field::new("id", DataType::LargeUtf8, false),
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
    )?)
}
