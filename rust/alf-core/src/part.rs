//! A shard's [`WalkPart`] as three Arrow record batches, so that a part walked on one machine
//! can be merged on another (the distributed indexer ships them through Dask as pyarrow data).
//!
//! Only what cannot be derived is shipped: a session's folder and parsed parts (its string id,
//! date and number are recomputed with the walker's own functions), each dataset's fields
//! with its UUID as 16 bytes (computing ids is a third of the walk's CPU time), and the issues.

use std::path::PathBuf;
use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, FixedSizeBinaryBuilder, Int64Builder, StringBuilder, UInt32Builder,
    UInt64Builder,
};
use arrow_array::{
    Array, BooleanArray, FixedSizeBinaryArray, Int64Array, RecordBatch, StringArray, UInt32Array,
    UInt64Array,
};
use arrow_schema::{DataType, Field, Schema};

use crate::error::{Error, Result};
use crate::spec::{self, SessionParts};
use crate::walk::{Dataset, Issue, IssueKind, Session, Walk, WalkPart};

/// The part's sessions, datasets and issues (`skipped` ones flagged) as record batches.
pub fn to_batches(part: &WalkPart) -> Result<[RecordBatch; 3]> {
    Ok([
        sessions_batch(&part.sessions)?,
        datasets_batch(&part.datasets)?,
        issues_batch(&part.issues, &part.skipped)?,
    ])
}

/// Rebuilds a part from the batches of [`to_batches`]; `source` names where they came from
/// in errors.
pub fn from_batches(batches: &[RecordBatch; 3], source: &str) -> Result<WalkPart> {
    let bad = |message: String| Error::Invalid {
        path: PathBuf::from(source),
        message,
    };
    let [ses, ds, iss] = batches;
    let path = strings(ses, "path", source)?;
    let lab = strings(ses, "lab", source)?;
    let subject = strings(ses, "subject", source)?;
    let date = strings(ses, "date", source)?;
    let number = strings(ses, "number", source)?;
    let mut sessions = Vec::with_capacity(ses.num_rows());
    for i in 0..ses.num_rows() {
        let parts = SessionParts {
            lab: lab.is_valid(i).then(|| lab.value(i).to_owned()),
            subject: subject.value(i).to_owned(),
            date: date.value(i).to_owned(),
            number: number.value(i).to_owned(),
        };
        let days = spec::days_since_epoch(&parts.date)
            .ok_or_else(|| bad(format!("bad session date {:?}", parts.date)))?;
        let n = parts
            .number
            .parse::<u16>()
            .map_err(|_| bad(format!("bad session number {:?}", parts.number)))?;
        sessions.push(Session {
            path: PathBuf::from(path.value(i)),
            string_id: spec::session_string_id(&parts),
            parts,
            days,
            number: n,
        });
    }

    let session: &UInt32Array = column(ds, "session", source)?;
    let rel_path = strings(ds, "rel_path", source)?;
    let size: &UInt64Array = column(ds, "size", source)?;
    let mtime: &Int64Array = column(ds, "mtime_ns", source)?;
    let id: &FixedSizeBinaryArray = column(ds, "id", source)?;
    let mut datasets = Vec::with_capacity(ds.num_rows());
    for i in 0..ds.num_rows() {
        let s = session.value(i);
        if s as usize >= sessions.len() {
            return Err(bad(format!(
                "dataset row {i} names session {s}, out of range"
            )));
        }
        let id_bytes: [u8; 16] = id
            .value(i)
            .try_into()
            .map_err(|_| bad("dataset ids must be 16 bytes".into()))?;
        datasets.push(Dataset {
            session: s,
            rel_path: rel_path.value(i).into(),
            size: size.value(i),
            mtime_ns: mtime.value(i),
            id: u128::from_be_bytes(id_bytes),
        });
    }

    let ipath = strings(iss, "path", source)?;
    let kind = strings(iss, "kind", source)?;
    let message = strings(iss, "message", source)?;
    let skipped_flag: &BooleanArray = column(iss, "skipped", source)?;
    let (mut issues, mut skipped) = (Vec::new(), Vec::new());
    for i in 0..iss.num_rows() {
        let k = IssueKind::from_name(kind.value(i))
            .ok_or_else(|| bad(format!("unknown issue kind {:?}", kind.value(i))))?;
        let issue = Issue {
            path: PathBuf::from(ipath.value(i)),
            kind: k,
            message: message.value(i).to_owned(),
        };
        if skipped_flag.value(i) {
            skipped.push(issue);
        } else {
            issues.push(issue);
        }
    }
    Ok(WalkPart {
        sessions,
        datasets,
        issues,
        skipped,
    })
}

fn column<'a, T: 'static>(batch: &'a RecordBatch, name: &str, source: &str) -> Result<&'a T> {
    batch
        .column_by_name(name)
        .and_then(|c| c.as_any().downcast_ref::<T>())
        .ok_or_else(|| Error::Invalid {
            path: PathBuf::from(source),
            message: format!("walk part has no column {name:?} of the expected type"),
        })
}

fn strings<'a>(batch: &'a RecordBatch, name: &str, source: &str) -> Result<&'a StringArray> {
    column(batch, name, source)
}

fn sessions_batch(sessions: &[Session]) -> Result<RecordBatch> {
    let mut path = StringBuilder::new();
    let mut lab = StringBuilder::new();
    let mut subject = StringBuilder::new();
    let mut date = StringBuilder::new();
    let mut number = StringBuilder::new();
    for s in sessions {
        path.append_value(s.path.to_string_lossy());
        lab.append_option(s.parts.lab.as_deref());
        subject.append_value(&s.parts.subject);
        date.append_value(&s.parts.date);
        number.append_value(&s.parts.number);
    }
    let schema = Schema::new(vec![
        Field::new("path", DataType::Utf8, false),
        Field::new("lab", DataType::Utf8, true),
        Field::new("subject", DataType::Utf8, false),
        Field::new("date", DataType::Utf8, false),
        Field::new("number", DataType::Utf8, false),
    ]);
    Ok(RecordBatch::try_new(
        Arc::new(schema),
        vec![
            Arc::new(path.finish()),
            Arc::new(lab.finish()),
            Arc::new(subject.finish()),
            Arc::new(date.finish()),
            Arc::new(number.finish()),
        ],
    )?)
}

fn datasets_batch(datasets: &[Dataset]) -> Result<RecordBatch> {
    let n = datasets.len();
    let rel_bytes = datasets.iter().map(|d| d.rel_path.len()).sum();
    let mut session = UInt32Builder::with_capacity(n);
    let mut rel = StringBuilder::with_capacity(n, rel_bytes);
    let mut size = UInt64Builder::with_capacity(n);
    let mut mtime = Int64Builder::with_capacity(n);
    let mut id = FixedSizeBinaryBuilder::with_capacity(n, 16);
    for d in datasets {
        session.append_value(d.session);
        rel.append_value(&d.rel_path);
        size.append_value(d.size);
        mtime.append_value(d.mtime_ns);
        id.append_value(d.id.to_be_bytes())?;
    }
    let schema = Schema::new(vec![
        Field::new("session", DataType::UInt32, false),
        Field::new("rel_path", DataType::Utf8, false),
        Field::new("size", DataType::UInt64, false),
        Field::new("mtime_ns", DataType::Int64, false),
        Field::new("id", DataType::FixedSizeBinary(16), false),
    ]);
    Ok(RecordBatch::try_new(
        Arc::new(schema),
        vec![
            Arc::new(session.finish()),
            Arc::new(rel.finish()),
            Arc::new(size.finish()),
            Arc::new(mtime.finish()),
            Arc::new(id.finish()),
        ],
    )?)
}

fn issues_batch(issues: &[Issue], skipped: &[Issue]) -> Result<RecordBatch> {
    let mut path = StringBuilder::new();
    let mut kind = StringBuilder::new();
    let mut message = StringBuilder::new();
    let mut flag = BooleanBuilder::new();
    for (list, is_skipped) in [(issues, false), (skipped, true)] {
        for issue in list {
            path.append_value(issue.path.to_string_lossy());
            kind.append_value(issue.kind.name());
            message.append_value(&issue.message);
            flag.append_value(is_skipped);
        }
    }
    let schema = Schema::new(vec![
        Field::new("path", DataType::Utf8, false),
        Field::new("kind", DataType::Utf8, false),
        Field::new("message", DataType::Utf8, false),
        Field::new("skipped", DataType::Boolean, false),
    ]);
    Ok(RecordBatch::try_new(
        Arc::new(schema),
        vec![
            Arc::new(path.finish()),
            Arc::new(kind.finish()),
            Arc::new(message.finish()),
            Arc::new(flag.finish()),
        ],
    )?)
}

/// `(path, size, mtime_ns)` of every dataset of `walk`, in walk order: what the distributed
/// indexer hashes, and the order in which it hands the digests back.
pub fn files_batch(walk: &Walk) -> Result<RecordBatch> {
    let n = walk.datasets.len();
    let mut path = StringBuilder::with_capacity(n, n * 64);
    let mut size = UInt64Builder::with_capacity(n);
    let mut mtime = Int64Builder::with_capacity(n);
    for d in &walk.datasets {
        let session = &walk.sessions[d.session as usize].path;
        path.append_value(session.join(&*d.rel_path).to_string_lossy());
        size.append_value(d.size);
        mtime.append_value(d.mtime_ns);
    }
    let schema = Schema::new(vec![
        Field::new("path", DataType::Utf8, false),
        Field::new("size", DataType::UInt64, false),
        Field::new("mtime_ns", DataType::Int64, false),
    ]);
    Ok(RecordBatch::try_new(
        Arc::new(schema),
        vec![
            Arc::new(path.finish()),
            Arc::new(size.finish()),
            Arc::new(mtime.finish()),
        ],
    )?)
}
