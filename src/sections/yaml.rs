//! Front matter of the common simple shape read without the YAML parser: one `key: value`
//! per line, or `key:` followed by `  - item` lines, every value a single-line scalar that
//! YAML can only read as a string. Anything else (comments, nesting, escapes, duplicate
//! keys, values that could be numbers or booleans, non-ASCII) is left to `serde_yaml_ng`.

use serde_yaml_ng::{Mapping, Value};

/// The keys [`super::front_matter`] reads; only these are kept.
const READ: [&str; 4] = ["title", "aliases", "aka", "tags"];

/// The front matter as `serde_yaml_ng` would read it (only the keys gloss reads), when it
/// has the simple shape; `None` otherwise.
pub(super) fn simple(yaml: &str) -> Option<Value> {
    let mut lines = yaml.strip_suffix('\n')?.split('\n').peekable();
    let mut seen: Vec<&str> = Vec::new();
    let mut map = Mapping::new();
    while let Some(line) = lines.next() {
        let (key, rest) = line.split_once(':')?;
        if !is_key(key) || seen.contains(&key) {
            return None;
        }
        seen.push(key);
        let read = READ.contains(&key);
        let value = if rest.is_empty() {
            let mut items = Vec::new();
            while let Some(item) = lines.next_if(|l| l.starts_with("  - ")) {
                items.push(Value::String(scalar(&item[4..], read)?));
            }
            if items.is_empty() {
                Value::Null
            } else {
                Value::Sequence(items)
            }
        } else {
            Value::String(scalar(rest.strip_prefix(' ')?, read)?)
        };
        if read {
            map.insert(Value::String(key.to_string()), value);
        }
    }
    (!seen.is_empty()).then_some(Value::Mapping(map))
}

/// A plain key: a letter, then letters, digits, `-` and `_`.
fn is_key(key: &str) -> bool {
    key.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The string a one-line scalar stands for: quoted without escapes or inner quotes, or
/// plain. `typed`: the value is read, so a plain scalar must be one YAML cannot read as a
/// null, boolean or number. `None` when unsure.
fn scalar(value: &str, typed: bool) -> Option<String> {
    if value.is_empty() || !value.bytes().all(|b| (b' '..=b'~').contains(&b)) {
        return None;
    }
    for quote in ['"', '\''] {
        if let Some(inner) = value.strip_prefix(quote) {
            let inner = inner.strip_suffix(quote)?;
            return (!inner.contains([quote, '\\'])).then(|| inner.to_string());
        }
    }
    let first = value.as_bytes()[0];
    let last = value.as_bytes()[value.len() - 1];
    let indicator = b" -?:,[]{}#&*!|>'\"%@`".contains(&first);
    if indicator || last == b' ' || last == b':' || value.contains(": ") || value.contains(" #") {
        return None;
    }
    if typed && (first.is_ascii_digit() || b".+~".contains(&first) || is_special(value)) {
        return None;
    }
    Some(value.to_string())
}

/// Words YAML (1.1 or 1.2) or Rust's float parser may read as something else than a string.
fn is_special(value: &str) -> bool {
    const WORDS: [&str; 12] = [
        "null", "true", "false", "yes", "no", "on", "off", "y", "n", "inf", "nan", "infinity",
    ];
    WORDS.iter().any(|w| value.eq_ignore_ascii_case(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What gloss reads from the parser's answer: the read keys' values.
    fn read_keys(value: &Value) -> Vec<Option<Value>> {
        READ.iter().map(|k| value.get(k).cloned()).collect()
    }

    #[test]
    fn the_simple_reading_agrees_with_the_yaml_parser() {
        let values = [
            "Fetch API",
            "\"Window: fetch() method\"",
            "'single: quoted'",
            "Array.prototype[Symbol.iterator]()",
            "<input type=\"file\">",
            "__proto__",
            "Don't panic",
            "a#b",
            "CSS, HTML,  JS",
            "404",
            "1.5",
            "true",
            "No",
            "~",
            "null",
            ".inf",
            "NaN",
            "\"a\\\"b\"",
            "\"unterminated",
            "a: b",
            "a #comment",
            "trailing ",
            "colon:",
            "- dash",
            "[flow, list]",
            "{flow: map}",
            "&anchor",
            "*alias",
            "!tag x",
            "|",
            ">",
            "@at",
            "`tick`",
            "%pct",
            "?q",
            "x\ty",
            "",
        ];
        let mut docs = Vec::new();
        for key in ["title", "tags", "aliases", "aka", "slug"] {
            for v in values {
                docs.push(format!("{key}: {v}\n"));
                docs.push(format!("page-type: x\n{key}: {v}\nother: y\n"));
                docs.push(format!("{key}:\n  - {v}\n  - Second\n"));
            }
            docs.push(format!("{key}:\n"));
            docs.push(format!("{key}:\nnext: x\n"));
        }
        for doc in [
            "title: A\ntitle: B\n",
            "title: A\n# comment\n",
            "title: A\n\nslug: b\n",
            "Title: A\n",
            "title: A\r\n",
            "title:A\n",
            "title:  A\n",
            "  title: A\n",
            "tags:\n- a\n",
            "tags:\n    - a\n",
            "tags:\n  - a\n    - b\n",
            "title: A",
            "",
            "\n",
            "title: Bézier curve\n",
        ] {
            docs.push(doc.to_string());
        }
        let mut simple_ones = 0;
        for doc in &docs {
            let parsed = serde_yaml_ng::from_str::<Value>(doc);
            if let Some(fast) = simple(doc) {
                simple_ones += 1;
                let parsed = parsed.unwrap_or_else(|e| panic!("{doc:?}: {e}"));
                assert_eq!(read_keys(&fast), read_keys(&parsed), "{doc:?}");
            }
        }
        // The common shapes take the simple reading (and so were compared above).
        assert!(simple_ones > 100, "{simple_ones} of {}", docs.len());
        for doc in [
            "title: Fetch API\n",
            "title: \"Window: fetch() method\"\nslug: Web/API/Window/fetch\n",
            "title: <input type=\"file\">\nbrowser-compat:\n  - html.elements.input\n",
            "short-title: __proto__\ntags:\n  - a\n  - B c\n",
        ] {
            assert!(simple(doc).is_some(), "{doc:?}");
        }
        let fm = simple("title: \"Window: fetch() method\"\nslug: Web/API/fetch\ntags:\n  - api\n");
        assert_eq!(
            read_keys(&fm.unwrap()),
            [
                Some(Value::String("Window: fetch() method".into())),
                None,
                None,
                Some(Value::Sequence(vec![Value::String("api".into())])),
            ]
        );
        assert!(simple("title: 404\n").is_none());
        assert!(simple("title: A\ntitle: B\n").is_none());
    }
}
