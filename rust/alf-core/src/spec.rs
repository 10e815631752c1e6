//! ALF name parsing that accepts exactly what ONE's regular expressions accept.
//!
//! ONE (`one.alf.spec`) matches names with Python `re` patterns that use a look-behind (the
//! namespace must follow `_`) and look-aheads (`_times`/`_intervals` must be followed by `_` or
//! `.`). The `regex` crate has neither, so the patterns here are rewritten without them while
//! keeping the same set of matches *and* the same captures:
//!
//! - `_?(?P<ns>(?<=_)X)?_?` becomes `(?:_(?P<ns>X)?|)_?`: the look-behind can only succeed when
//!   the leading optional `_` consumed an underscore, and the match is anchored at the start.
//! - the look-aheads after `_times`/`_intervals` are dropped: everything that may follow the
//!   attribute in the pattern starts with `_` or `.`, so they never reject a match that the rest
//!   of the pattern would accept, and they never change which alternative is tried first.
//!
//! The `regex` crate reports leftmost-first captures, the ones a backtracking engine such as
//! Python's finds, so the parts come out as in ONE. Python's `\w` and `\d` (by `str.isalnum` and
//! category Nd) differ from the crate's Unicode classes, hence the generated classes in
//! [`crate::unicode_classes`]. Python's `$` also matches before a final newline; that accident is
//! not copied (`\z` is used).

use std::sync::OnceLock;

use regex::Regex;

use crate::unicode_classes::{DIGIT, WORD};

/// The parts of a session path, as strings spelled as in the path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionParts {
    /// The folder before `/Subjects/`, if the long form is used.
    pub lab: Option<String>,
    /// The subject folder name (or its `[\w.-]+` tail, as ONE's search finds it).
    pub subject: String,
    /// The date folder, `YYYY-MM-DD` in shape (not checked to be a real date here).
    pub date: String,
    /// The number folder as spelled on disk (`1`, `01` or `001`).
    pub number: String,
}

/// The parts of a dataset path relative to its session.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RelPathParts {
    /// Collection folders joined by `/`.
    pub collection: Option<String>,
    /// Revision name without the `#` delimiters.
    pub revision: Option<String>,
    /// File-name namespace (without underscores).
    pub namespace: Option<String>,
    /// Object.
    pub object: Option<String>,
    /// Attribute (including `_times`/`_intervals` suffixes).
    pub attribute: Option<String>,
    /// Timescale.
    pub timescale: Option<String>,
    /// Extra parts joined by `.`.
    pub extra: Option<String>,
    /// Extension.
    pub extension: Option<String>,
}

struct Patterns {
    file: Regex,
    rel_path: Regex,
    session_end: Regex,
    session_search: Regex,
}

/// ASCII equivalents of Python's `\w` and `\d`: on ASCII text they match exactly the same
/// characters as the generated Unicode classes.
const ASCII_WORD: &str = "0-9A-Za-z_";
const ASCII_DIGIT: &str = "0-9";

fn file_body(word: &str) -> String {
    let w = format!("[{word}]");
    format!(
        r"(?:_(?P<namespace>[a-zA-Z0-9]+)?|)_?(?P<object>{w}+)\.(?P<attribute>(?:_[a-z]+_)?[a-zA-Z0-9]+(?:_times|_intervals)?)(?:_(?P<timescale>{w}+))?(?:\.(?P<extra>[.{word}\-]+))*\.(?P<extension>{w}+)"
    )
}

fn session_body(word: &str, digit: &str) -> String {
    let w = format!("[{word}]");
    let d = format!("[{digit}]");
    format!(
        r"(?:(?P<lab>{w}+)/Subjects/)?(?P<subject>[{word}.\-]+)/(?P<date>{d}{{4}}-{d}{{2}}-{d}{{2}})/(?P<number>{d}{{1,3}})"
    )
}

fn build_patterns(word: &str, digit: &str) -> Patterns {
    let file = file_body(word);
    let session = session_body(word, digit);
    let build = |p: String| Regex::new(&p).expect("ALF patterns are valid");
    Patterns {
        file: build(format!(r"\A{file}\z")),
        rel_path: build(format!(
            r"\A(?:(?P<collection>[{word}./\-]+)/)?(?:#(?P<revision>[{word}.\-]+)#/)?{file}\z"
        )),
        session_end: build(format!(r"{session}\z")),
        session_search: build(session),
    }
}

/// The patterns for `text`. Compiling the Unicode classes takes about 150 ms, a noticeable
/// start-up cost for a command-line run, while almost every real name is ASCII; so ASCII text
/// uses small ASCII classes and the Unicode patterns are only built when first needed.
fn patterns(text: &str) -> &'static Patterns {
    static ASCII: OnceLock<Patterns> = OnceLock::new();
    static UNICODE: OnceLock<Patterns> = OnceLock::new();
    if text.is_ascii() {
        ASCII.get_or_init(|| build_patterns(ASCII_WORD, ASCII_DIGIT))
    } else {
        UNICODE.get_or_init(|| build_patterns(WORD, DIGIT))
    }
}

fn opt(caps: &regex::Captures<'_>, name: &str) -> Option<String> {
    caps.name(name).map(|m| m.as_str().to_owned())
}

fn session_from(caps: &regex::Captures<'_>) -> SessionParts {
    SessionParts {
        lab: opt(caps, "lab"),
        subject: caps["subject"].to_owned(),
        date: caps["date"].to_owned(),
        number: caps["number"].to_owned(),
    }
}

/// True if `name` is a valid ALF file name (ONE's `spec.is_valid`).
pub fn is_valid_filename(name: &str) -> bool {
    patterns(name).file.is_match(name)
}

/// True if `rel_path` is `[collection/][#revision#/]filename` with every part valid.
pub fn is_valid_rel_path(rel_path: &str) -> bool {
    patterns(rel_path).rel_path.is_match(rel_path)
}

/// Parses a dataset path relative to its session; `None` when it is not a valid ALF path.
pub fn rel_path_parts(rel_path: &str) -> Option<RelPathParts> {
    let caps = patterns(rel_path).rel_path.captures(rel_path)?;
    Some(RelPathParts {
        collection: opt(&caps, "collection"),
        revision: opt(&caps, "revision"),
        namespace: opt(&caps, "namespace"),
        object: opt(&caps, "object"),
        attribute: opt(&caps, "attribute"),
        timescale: opt(&caps, "timescale"),
        extra: opt(&caps, "extra"),
        extension: opt(&caps, "extension"),
    })
}

/// Parses a path (POSIX separators) that *ends* with a session folder, as ONE's
/// `is_session_path` decides, returning the match and the byte offset where the lab (or, when
/// there is none, the subject) starts.
pub fn session_at_end(path: &str) -> Option<(SessionParts, usize)> {
    let caps = patterns(path).session_end.captures(path)?;
    let start = caps.get(0).map_or(0, |m| m.start());
    Some((session_from(&caps), start))
}

/// The first session found anywhere in `path` (ONE's `session_path_parts`, no end anchor).
pub fn session_search(path: &str) -> Option<SessionParts> {
    patterns(path)
        .session_search
        .captures(path)
        .map(|c| session_from(&c))
}

/// True if `s` is `YYYY-MM-DD` in ASCII digits and names a real calendar date.
///
/// ONE parses the date folder with pandas and fails on `2020-13-45`; the indexer uses this to
/// skip such folders with a warning instead.
pub fn is_real_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = &s[r];
        if part.bytes().all(|c| c.is_ascii_digit()) {
            part.parse().ok()
        } else {
            None
        }
    };
    let (Some(y), Some(m), Some(d)) = (num(0..4), num(5..7), num(8..10)) else {
        return false;
    };
    if !(1..=12).contains(&m) || d == 0 || y == 0 {
        return false;
    }
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    d <= days
}

/// Days since 1970-01-01 of a date accepted by [`is_real_date`] (proleptic Gregorian).
pub fn days_since_epoch(s: &str) -> Option<i32> {
    if !is_real_date(s) {
        return None;
    }
    let y: i64 = s[0..4].parse().ok()?;
    let m: i64 = s[5..7].parse().ok()?;
    let d: i64 = s[8..10].parse().ok()?;
    // Howard Hinnant's days_from_civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    i32::try_from(era * 146_097 + doe - 719_468).ok()
}

/// The session string id ONE derives from the parts: lab, subject, date and number joined by
/// `/`, leaving out a missing lab, with the number spelled as on disk.
pub fn session_string_id(parts: &SessionParts) -> String {
    match &parts.lab {
        Some(lab) if !lab.is_empty() => {
            format!("{lab}/{}/{}/{}", parts.subject, parts.date, parts.number)
        }
        _ => format!("{}/{}/{}", parts.subject, parts.date, parts.number),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filenames_from_the_contract() {
        let cases: &[(&str, [Option<&str>; 6])] = &[
            (
                "_ibl_trials.goCue_times_bpod.csv",
                [
                    Some("ibl"),
                    Some("trials"),
                    Some("goCue_times"),
                    Some("bpod"),
                    None,
                    Some("csv"),
                ],
            ),
            (
                "spikes.times_ephysClock.raw.v12.npy",
                [
                    None,
                    Some("spikes"),
                    Some("times"),
                    Some("ephysClock"),
                    Some("raw.v12"),
                    Some("npy"),
                ],
            ),
            (
                "_obj.attr.npy",
                [Some("ob"), Some("j"), Some("attr"), None, None, Some("npy")],
            ),
            (
                "__ns__obj.attr.npy",
                [None, Some("ns__obj"), Some("attr"), None, None, Some("npy")],
            ),
            (
                "_name_space_obj.attr.npy",
                [
                    Some("name"),
                    Some("space_obj"),
                    Some("attr"),
                    None,
                    None,
                    Some("npy"),
                ],
            ),
            (
                "obj.attr_timestamps.npy",
                [
                    None,
                    Some("obj"),
                    Some("attr"),
                    Some("timestamps"),
                    None,
                    Some("npy"),
                ],
            ),
            (
                "obj.x_times_y_z.npy",
                [
                    None,
                    Some("obj"),
                    Some("x_times"),
                    Some("y_z"),
                    None,
                    Some("npy"),
                ],
            ),
            (
                "obj._ns_attr_times_bpod.a.b.npy",
                [
                    None,
                    Some("obj"),
                    Some("_ns_attr_times"),
                    Some("bpod"),
                    Some("a.b"),
                    Some("npy"),
                ],
            ),
        ];
        for (name, want) in cases {
            let p = rel_path_parts(name).unwrap_or_else(|| panic!("{name} should parse"));
            let got = [
                p.namespace.as_deref(),
                p.object.as_deref(),
                p.attribute.as_deref(),
                p.timescale.as_deref(),
                p.extra.as_deref(),
                p.extension.as_deref(),
            ];
            assert_eq!(&got, want, "{name}");
        }
    }

    #[test]
    fn validity_from_the_contract() {
        let names = [
            ("spike_train.npy", false),
            ("obj.attr", false),
            ("obj.attr-x.npy", false),
            (".hidden.x.npy", false),
            ("wheel moves.x.npy", false),
            ("obj..npy", false),
            ("a.b_.npy", false),
            ("obj.attr.npy.bak", true),
            ("Obj.Attr.NPY", true),
            ("obj.attr.extra-part.npy", true),
            ("tríals.intervals.npy", true),
            ("x.y.z.", false),
            ("obj.attr.npy\n", false),
        ];
        for (name, want) in names {
            assert_eq!(is_valid_filename(name), want, "{name:?}");
        }
    }

    #[test]
    fn python_word_class_not_rust_word_class() {
        // U+0301 (combining acute) is \w for the regex crate but not for Python's re.
        assert!(!is_valid_filename("tri\u{301}als.intervals.npy"));
        // Superscript two is \w for Python (isalnum) but not for the regex crate.
        assert!(is_valid_filename("obj\u{b2}.attr.npy"));
    }

    #[test]
    fn rel_paths() {
        let p = rel_path_parts("alf/probe00/#2023-01-01#/_ibl_spikes.times_ephys.raw.npy").unwrap();
        assert_eq!(p.collection.as_deref(), Some("alf/probe00"));
        assert_eq!(p.revision.as_deref(), Some("2023-01-01"));
        assert_eq!(p.namespace.as_deref(), Some("ibl"));
        assert_eq!(p.timescale.as_deref(), Some("ephys"));
        assert!(is_valid_rel_path("#v1#/a.b.npy"));
        assert!(is_valid_rel_path(".hiddendir/foo.bar.npy"));
        assert!(!is_valid_rel_path("sub dir/obj.attr.npy"));
        assert!(!is_valid_rel_path("alf/#rev#/sub/a.b.npy"));
        assert!(!is_valid_rel_path("alf/#bad rev#/x.y.npy"));
    }

    #[test]
    fn sessions() {
        let (s, start) = session_at_end("/data/lab-x/Subjects/sub/2023-01-01/001").unwrap();
        assert_eq!(s.lab.as_deref(), Some("x"));
        assert_eq!(start, "/data/lab-".len());
        assert!(session_at_end("SWC_001/2023-01-01/1").is_some());
        assert!(session_at_end("SWC_001/2023-01-01/0001").is_none());
        assert!(session_at_end("sub/2023-01-01/001/alf").is_none());
        let s = session_search("mylab/subjects/sub/2023-01-01/001").unwrap();
        assert_eq!((s.lab, s.subject.as_str()), (None, "sub"));
        let s = session_search("/x/sub/2023-01-01/0012").unwrap();
        assert_eq!(s.number, "001");
    }

    #[test]
    fn dates() {
        assert!(is_real_date("2024-02-29"));
        assert!(!is_real_date("2023-02-29"));
        assert!(!is_real_date("2020-13-45"));
        assert_eq!(days_since_epoch("1970-01-01"), Some(0));
        assert_eq!(days_since_epoch("2023-01-01"), Some(19358));
        assert_eq!(days_since_epoch("1969-12-31"), Some(-1));
    }
}
