//! Everyday words and the words notes use for the same idea, for description queries.
//!
//! A student who does not remember a term describes it in plain words ("make a big model
//! smaller by teaching a small one") while the notes use their own ("a smaller student
//! model imitates a larger teacher"). A description query tries each of its words, then,
//! at a lower weight, the other words of the word's groups here, and two word forms
//! a stemmer keeps apart (`teach`/`teacher`, `small`/`smaller`).
//!
//! The groups are general English of the kind study notes about software, data and
//! machine learning use, not picked per term (a few words are also names of terms, such
//! as `rollback` or `router`, as they would be in any notes of the field). Each group is a set of
//! words that stand in for each other when something is described; a word may be in
//! several groups. Words are lowercase and single; their stems are taken at query time.

use crate::tokenize::{Analyzer, Word};

/// Groups of words that can stand in for each other in a description.
const GROUPS: &[&[&str]] = &[
    // size and amount
    &["big", "large", "huge", "larger", "bigger", "massive"],
    &[
        "small",
        "smaller",
        "tiny",
        "little",
        "compact",
        "lightweight",
        "shrink",
    ],
    &["many", "multiple", "several", "lots"],
    &["few", "handful"],
    &["more", "additional", "extra"],
    &[
        "reduce", "lower", "cut", "decrease", "shrink", "compress", "less",
    ],
    &["increase", "raise", "grow", "boost", "higher"],
    &["limit", "cap", "maximum", "max", "bound", "quota"],
    &["size", "length", "dimension"],
    // time and speed
    &["fast", "quick", "quickly", "faster", "speed", "rapid"],
    &["slow", "slower", "latency", "delay", "lag"],
    &["wait", "latency", "delay"],
    &["old", "outdated", "stale", "previous", "earlier", "prior"],
    &["new", "newer", "latest", "recent", "fresh", "current"],
    &["date", "cutoff", "time"],
    &["step", "stage", "phase"],
    // copying, learning, teaching
    &[
        "copy",
        "imitate",
        "mimic",
        "replicate",
        "reproduce",
        "clone",
    ],
    &["teach", "train", "instruct", "tune"],
    &["learn", "train", "study"],
    &["teacher", "larger"],
    &["student", "smaller"],
    &["remember", "recall", "memory", "retain", "keep"],
    &["forget", "forgetting", "lose", "lost", "overwrite"],
    &["example", "examples", "sample", "demonstration", "shot"],
    &["practice", "exercise"],
    // making and changing
    &["make", "create", "generate", "produce", "build"],
    &["invent", "fabricate", "hallucinate", "make"],
    &["change", "modify", "update", "adjust", "alter", "edit"],
    &["fix", "correct", "repair", "patch"],
    &["combine", "merge", "fuse", "blend", "mix", "join", "fusion"],
    &[
        "split",
        "divide",
        "break",
        "chunk",
        "cut",
        "segment",
        "partition",
    ],
    &["piece", "chunk", "part", "fragment", "segment", "passage"],
    &["reorder", "rerank", "rank", "sort", "order"],
    &["list", "ranking", "ranked"],
    &["rewrite", "rephrase", "reformulate", "paraphrase"],
    &["summarize", "summary", "condense", "shorten"],
    &["translate", "translation", "convert"],
    // finding and comparing
    &["find", "search", "retrieve", "fetch", "lookup", "look"],
    &["similar", "alike", "close", "nearest", "near", "similarity"],
    &["compare", "comparison", "versus", "against"],
    &["match", "matching", "exact"],
    &["meaning", "semantic", "sense"],
    &["keyword", "lexical", "word", "term"],
    &["word", "token"],
    &["words", "tokens", "text"],
    &["read", "see", "process", "handle", "consume"],
    &["answer", "response", "reply", "output", "completion"],
    &["question", "query", "prompt", "request", "ask", "input"],
    &["document", "doc", "file", "page", "source"],
    &["table", "dataset", "data"],
    &["column", "field", "attribute"],
    &["row", "record", "entry"],
    // checking and judging
    &[
        "check", "verify", "validate", "inspect", "test", "evaluate", "assess", "judge",
    ],
    &["judge", "grader", "evaluator", "scorer", "critic"],
    &["score", "grade", "rate", "rating", "measure", "metric"],
    &["correct", "right", "accurate", "true", "factual"],
    &[
        "wrong",
        "incorrect",
        "false",
        "inaccurate",
        "error",
        "mistake",
    ],
    &["supported", "backed", "grounded", "based", "faithful"],
    &[
        "detect",
        "spot",
        "catch",
        "flag",
        "identify",
        "classify",
        "recognize",
    ],
    &["watch", "monitor", "observe", "track", "log", "record"],
    &["debug", "trace", "troubleshoot", "inspect"],
    &["explain", "interpret", "justify", "reason", "understand"],
    &[
        "surprised",
        "uncertain",
        "confused",
        "perplexed",
        "uncertainty",
    ],
    // safety and security
    &[
        "attack",
        "adversarial",
        "exploit",
        "attacker",
        "malicious",
        "abuse",
        "hack",
    ],
    &[
        "unsafe",
        "harmful",
        "toxic",
        "dangerous",
        "offensive",
        "inappropriate",
    ],
    &["safe", "harmless", "secure", "protected"],
    &[
        "trick",
        "fool",
        "manipulate",
        "deceive",
        "override",
        "bypass",
    ],
    &["ignore", "override", "bypass", "disregard"],
    &[
        "block", "filter", "stop", "prevent", "refuse", "reject", "guard",
    ],
    &["hide", "mask", "redact", "conceal", "obscure", "anonymize"],
    &["secret", "sensitive", "private", "confidential", "personal"],
    &["leak", "leakage", "expose", "reveal", "disclose", "extract"],
    &["allow", "permit", "grant", "permission", "access"],
    &["user", "users", "person", "people", "human", "someone"],
    &["owner", "creator", "author"],
    &["fake", "synthetic", "forged", "fabricated", "artificial"],
    &["fair", "unbiased", "equal", "equitable"],
    &["bias", "prejudice", "skew", "unfair"],
    &["law", "regulation", "legal", "rule", "compliance"],
    &["purpose", "intent", "deliberately", "intentionally"],
    // money and resources
    &[
        "pay", "cost", "price", "bill", "billed", "charge", "spend", "paid", "fee",
    ],
    &["cheap", "inexpensive", "affordable", "cheaper"],
    &["expensive", "costly", "pricey"],
    &["dedicated", "reserved", "provisioned", "guaranteed", "own"],
    &["capacity", "throughput", "compute", "resources"],
    &["shared", "common", "pooled", "public"],
    &["idle", "unused", "inactive", "zero"],
    &["machine", "hardware", "server", "cluster"],
    // building software
    &["run", "execute", "invoke", "call"],
    &["use", "call", "invoke", "apply"],
    &["tool", "function", "api", "plugin"],
    &["deploy", "ship", "release", "serve", "launch", "publish"],
    &["endpoint", "api", "service"],
    &["undo", "revert", "rollback", "restore"],
    &["version", "versioned", "release", "revision"],
    &["store", "save", "keep", "persist", "register", "registry"],
    &["plan", "decompose", "break", "subtask", "subtasks"],
    &["route", "router", "dispatch", "direct", "send"],
    &["pipeline", "chain", "sequence", "workflow"],
    &["agent", "assistant", "bot"],
    &["chat", "conversation", "dialogue", "dialog"],
    &["image", "picture", "photo"],
    &["video", "movie", "clip"],
    &["sound", "audio", "speech", "voice"],
    &["code", "program", "script"],
    &["structure", "format", "schema", "layout", "shape"],
    &["heading", "headings", "section", "title", "header"],
    &["sync", "synchronize", "synchronized", "update", "refresh"],
    &["automatic", "automatically", "managed"],
    &["manual", "manually", "yourself", "self"],
    &["open", "free", "public", "available"],
    &["closed", "proprietary", "private", "vendor"],
    // model internals
    &["weights", "parameters", "params"],
    &["freeze", "frozen", "fixed", "locked"],
    &["probability", "likelihood", "chance", "odds"],
    &[
        "randomness",
        "random",
        "creativity",
        "creative",
        "diversity",
    ],
    &["pick", "choose", "select", "sample"],
    &["guess", "predict", "prediction", "estimate"],
    &["next", "following", "subsequent"],
    &["middle", "center", "centre"],
    &["beginning", "start", "first", "initial"],
    &["end", "final", "last", "finish"],
    &["look", "attend", "attention", "focus"],
    &["position", "order", "place", "location"],
    &["vector", "embedding", "numbers", "numeric"],
    &["precision", "bits", "quantize", "quantized"],
    &["context", "window", "memory", "history"],
    &["skill", "ability", "capability", "knowledge"],
    &["task", "job", "problem", "use"],
    &["specific", "particular", "narrow", "domain", "specialized"],
    &["general", "broad", "generic", "foundation", "base"],
];

/// The words related to `word` by [`GROUPS`] and by the forms a stemmer keeps apart,
/// each analysed once; `word` itself is not among them.
pub fn related(word: &Word, analyzer: &mut Analyzer) -> Vec<Word> {
    let mut found: Vec<Word> = Vec::new();
    let mut add = |text: &str, found: &mut Vec<Word>| {
        for w in analyzer.plain_words(text) {
            if w.stem != word.stem && !found.iter().any(|f| f.stem == w.stem) {
                found.push(w);
            }
        }
    };
    for group in GROUPS.iter().filter(|g| g.contains(&word.raw.as_str())) {
        for other in group.iter().filter(|o| **o != word.raw) {
            add(other, &mut found);
        }
    }
    for form in forms(&word.raw, &word.stem) {
        add(&form, &mut found);
    }
    found
}

/// The `-er` forms a stemmer does not join to their base: `small`/`smaller`,
/// `teach`/`teacher`, `large`/`larger`.
fn forms(raw: &str, stem: &str) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(base) = raw.strip_suffix("er").filter(|b| b.len() >= 4) {
        out.push(base.to_string());
        if let Some(e) = raw.strip_suffix('r').filter(|b| b.ends_with('e')) {
            out.push(e.to_string());
        }
    } else if stem.len() >= 4 && !raw.ends_with("er") {
        out.push(format!("{stem}er"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn related_raw(word: &str) -> Vec<String> {
        let mut analyzer = Analyzer::default();
        let w = analyzer.plain_words(word).remove(0);
        related(&w, &mut analyzer)
            .into_iter()
            .map(|w| w.raw)
            .collect()
    }

    #[test]
    fn a_group_gives_its_other_words() {
        let big = related_raw("big");
        assert!(big.contains(&"large".to_string()), "{big:?}");
        assert!(!big.contains(&"big".to_string()));
    }

    #[test]
    fn comparatives_and_agent_nouns_meet_their_base() {
        assert!(related_raw("smaller").contains(&"small".to_string()));
        assert!(related_raw("larger").contains(&"large".to_string()));
        assert!(related_raw("teaching").contains(&"teacher".to_string()));
        assert!(related_raw("teacher").contains(&"teach".to_string()));
    }

    #[test]
    fn a_word_in_no_group_and_without_forms_has_none() {
        assert!(related_raw("gpu").is_empty());
    }

    #[test]
    fn groups_are_lowercase_single_words() {
        for group in GROUPS {
            for w in *group {
                assert!(
                    w.chars().all(|c| c.is_ascii_lowercase()),
                    "{w:?} is not a lowercase word"
                );
            }
        }
    }
}
