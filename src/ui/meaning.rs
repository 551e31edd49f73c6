//! What a header field means and where that is defined, for the selected field: the one line
//! each header's field table carries (`FieldDef::about`, e.g. "hops left; ... (RFC 791 §3.1)"),
//! shown as "TTL: hops left; ... — RFC 791 §3.1" and fitted to the pane without ever losing the
//! source: a student who reads a meaning cut short can still look it up.
use super::layers::wrap;
use super::text::{clean, fit, width};

/// The `about` line of the field with dissector key `key`, if its table has one.
pub fn about(key: &str) -> Option<&'static str> {
    crate::wire::table::def_of(key).map(|f| f.about)
}

/// `about` split into its meaning and its source: the last parenthesised group when it cites an
/// RFC or IEEE clause ("hops left (RFC 791 §3.1)" -> "hops left", "RFC 791 §3.1"); else no
/// source.
pub fn split(about: &str) -> (&str, &str) {
    if let Some(body) = about.strip_suffix(')') {
        if let Some(open) = body.rfind(" (") {
            let source = &body[open + 2..];
            if source.contains("RFC") || source.contains("IEEE") {
                return (&body[..open], source);
            }
        }
    }
    (about, "")
}

/// "Label: meaning — source" in at most `max` lines of `w` columns. When it does not fit, the
/// meaning is cut (with `…`) and the source kept whole on the last line; only a pane too narrow
/// for the source itself cuts it.
pub fn lines(label: &str, about: &str, w: usize, max: usize) -> Vec<String> {
    if max == 0 || w == 0 {
        return Vec::new();
    }
    let label = clean(label);
    let (meaning, source) = split(about);
    let head = format!("{label}: {meaning}");
    // No-break spaces keep the source on one line when it wraps (put back before drawing).
    let tail = if source.is_empty() {
        String::new()
    } else {
        format!(" —\u{a0}{}", source.replace(' ', "\u{a0}"))
    };
    let spaces = |v: Vec<String>| -> Vec<String> {
        v.into_iter().map(|l| l.replace('\u{a0}', " ")).collect()
    };
    let all = wrap(&format!("{head}{tail}"), w);
    if all.len() <= max {
        return spaces(all);
    }
    let mut out = wrap(&head, w);
    // Room for at least "L…" before the source on the last line, or the source is cut too.
    if width(&tail) + 2 > w {
        out = all;
        out.truncate(max);
        let last = out.pop().unwrap_or_default();
        out.push(fit(&format!("{last}…"), w));
        return spaces(out);
    }
    let rest = out.split_off((max - 1).min(out.len())).join(" ");
    // The last line: what is left of the meaning, cut (with `…`) to leave the source room.
    let last = fit(&rest, w - width(&tail));
    out.push(format!("{last}{tail}").trim_start().to_string());
    spaces(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_explained_field_splits_into_a_meaning_and_its_source() {
        for f in crate::wire::table::TABLES.iter().flat_map(|t| t.iter()) {
            let (meaning, source) = split(f.about);
            assert!(!meaning.is_empty(), "{}", f.key);
            assert!(
                source.starts_with("RFC") || source.starts_with("IEEE"),
                "{}: {:?} does not end with its source",
                f.key,
                f.about
            );
            assert_eq!(about(f.key), Some(f.about));
        }
        assert_eq!(about("frame.len"), None);
    }

    #[test]
    fn a_long_meaning_is_cut_and_its_source_kept() {
        let ttl = about("ipv4.ttl").unwrap();
        for w in [20usize, 38, 50, 65, 80, 200] {
            for max in 1..=3 {
                let ls = lines("TTL", ttl, w, max);
                assert!(!ls.is_empty() && ls.len() <= max, "{w} {max}: {ls:?}");
                assert!(ls.iter().all(|l| width(l) <= w), "{w} {max}: {ls:?}");
                assert!(ls[0].starts_with("TTL"), "{ls:?}");
                let (_, source) = split(ttl);
                if width(source) + 5 <= w {
                    assert!(ls.last().unwrap().ends_with(source), "{w} {max}: {ls:?}");
                }
            }
        }
        // Room enough: the whole line, unchanged.
        let (m, s) = split(ttl);
        assert_eq!(lines("TTL", ttl, 200, 1), vec![format!("TTL: {m} — {s}")]);
    }
}
