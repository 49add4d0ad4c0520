//! The shipped notes: nine sections, enough terms, no term defined twice, no wrong or stale
//! sentence coming back, no non-term extracted as a term, lookups that work.

use std::collections::BTreeMap;

use gloss::stages::{extract, parse, Analyzer};
use gloss::Kind;

use crate::common::{root, score_table};

const SECTIONS: [&str; 9] = [
    "01-generative-ai-basics.md",
    "02-databricks-generative-ai-and-nlp.md",
    "03-common-llm-applications.md",
    "04-rag-vector-search-and-storage.md",
    "05-multi-stage-reasoning-with-llm-chains.md",
    "06-fine-tuning-llms.md",
    "07-evaluating-llms.md",
    "08-society-and-llms.md",
    "09-llm-operations.md",
];

/// Terms deliberately defined in two places (a second view from another angle).
/// Add the normalised key here, with the reason, to allow one.
const SECOND_VIEWS: &[&str] = &[];

/// (normalised key, term, file, line) of every definition in content/.
fn definitions() -> Vec<(String, String, String, usize)> {
    let mut analyzer = Analyzer::default();
    let mut out = Vec::new();
    for file in SECTIONS {
        let text = std::fs::read_to_string(root().join("content").join(file)).expect(file);
        for e in extract(file, &parse(&text)) {
            if e.kind == Kind::Definition {
                let term = e.term.unwrap_or_default();
                out.push((analyzer.key(&term), term, e.file, e.line));
            }
        }
    }
    out
}

#[test]
fn nine_sections_with_over_twenty_terms_each_and_250_in_all() {
    let defs = definitions();
    for file in SECTIONS {
        let n = defs.iter().filter(|d| d.2 == file).count();
        assert!(n > 20, "{file} defines {n} terms");
    }
    let distinct: std::collections::BTreeSet<&String> = defs.iter().map(|d| &d.0).collect();
    println!("{} distinct defined terms", distinct.len());
    assert!(distinct.len() >= 250, "{} distinct terms", distinct.len());
}

#[test]
fn no_term_is_defined_twice() {
    let mut by_key: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (key, term, file, line) in definitions() {
        by_key
            .entry(key)
            .or_default()
            .push(format!("{term} at {file}:{line}"));
    }
    let twice: Vec<String> = by_key
        .into_iter()
        .filter(|(k, places)| places.len() > 1 && !SECOND_VIEWS.contains(&k.as_str()))
        .map(|(_, places)| places.join(" and "))
        .collect();
    assert!(twice.is_empty(), "defined twice:\n{}", twice.join("\n"));
}

#[test]
fn content_lookups_find_the_expected_term_first() {
    let failures = score_table("content.tsv");
    assert!(
        failures.is_empty(),
        "{} misses:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Sentences a review found wrong, stale or not ours; none may come back (matched lowercase,
/// whitespace folded). Each entry says why, so whoever trips it knows what to fix.
const RETIRED_PHRASES: &[(&str, &str)] = &[
    (
        "a few thousand parameters per task",
        "prompt tuning: the paper's 5-token T5-XXL prompt already has 20,480; typical prompts tens to hundreds of thousands",
    ),
    (
        "and for no longer than needed",
        "data minimization is about how much data; how long is storage limitation",
    ),
    (
        "hiding a word and asking the model to predict it. it lets models learn from huge unlabeled text collections and is how llms are pre-trained",
        "generative LLMs are pre-trained on next-token prediction; masked tokens are BERT-style encoders",
    ),
    (
        "the databricks feature, usable from the ui or api, that fine-tunes",
        "Foundation Model Fine-tuning reached end of life in August 2026; do not present it as current",
    ),
    (
        "which includes foundation model fine-tuning",
        "Foundation Model Fine-tuning reached end of life in August 2026",
    ),
    (
        "across twelve components",
        "DASF v3.0 (2026) has 13 components (agentic AI added)",
    ),
    (
        "inserts malicious or misleading examples into training, fine-tuning or retrieval data",
        "contradicted the exam tip: instructions planted in retrieved content are indirect prompt injection",
    ),
    (
        "or, for new projects where databricks now recommends it, as a databricks app",
        "05 and 09 must give one deployment story (agents.deploy for the exam, Agent Bricks CLI as of late 2026)",
    ),
    (
        "deploys a dedicated endpoint with reserved capacity, billed by the hour",
        "Provisioned throughput: sentence followed public text; rewritten in our words",
    ),
    (
        "the unified governance layer for data and ai assets on databricks",
        "Unity Catalog: sentence followed public text; rewritten in our words",
    ),
    (
        "trained on a vast and broad dataset so that it can be adapted to many downstream tasks",
        "Foundation model: sentence followed public text; rewritten in our words",
    ),
    (
        "the vector database built into the databricks data intelligence platform",
        "Mosaic AI Vector Search: sentence followed public text; rewritten in our words",
    ),
    (
        "trains the model directly on pairs of preferred and rejected responses with a simple classification-style loss",
        "DPO: sentence followed public text; rewritten in our words",
    ),
    (
        "the set of processes and automation for managing code, data and models",
        "MLOps: close paraphrase of public text; rewritten in our words",
    ),
    (
        "the databricks-hosted mlflow model registry in unity catalog",
        "Models in Unity Catalog: close paraphrase of public text; rewritten in our words",
    ),
    (
        "reaches its goal by combining several interacting components",
        "Compound AI system: close paraphrase of public text; rewritten in our words",
    ),
    (
        "match the task to its name",
        "an exam-tip instruction extracted as a term",
    ),
    (
        "a delta sync index with databricks-computed embeddings is the least work",
        "a sentence extracted as a term",
    ),
    (
        "typically up to a few billion",
        "SLM: Microsoft's Phi family, the usual example, reaches 14 billion parameters (Phi-3-medium, Phi-4)",
    ),
    (
        "first published there",
        "Hugging Face Hub: where open models first appear could not be verified; say they are distributed there",
    ),
    (
        "50 tables, views or metric views",
        "Genie space: the December 2026 docs allow up to 30 tables or views per space",
    ),
    (
        "storage-optimized endpoints allow only triggered",
        "Delta Sync Index: no such restriction found in the vector search docs",
    ),
    (
        "(the recommended task)",
        "task_type: the fine-tuning docs do not single out chat completion as recommended",
    ),
    (
        "applies the model's template automatically",
        "Chat template: automatic templating by Databricks fine-tuning could not be verified",
    ),
    (
        "returns the one with the highest overall probability",
        "Beam search: it keeps the best beams but is not guaranteed to find the most likely sequence",
    ),
    (
        "each layer contains several expert sub-networks",
        "MoE: the experts replace the feed-forward block; attention is shared (Mixtral: 2 of 8 experts per token)",
    ),
    (
        "owasp lists it as llm04",
        "Data poisoning: LLM04 in OWASP's 2025 list, LLM05 in the 2026 list",
    ),
    (
        "jailbreaks target the model's alignment, while prompt injections target",
        "Jailbreak: OWASP files jailbreaking as a form of prompt injection (LLM01); the split is only a common distinction",
    ),
    (
        "usually speeds up inference",
        "Quantization: faster only on hardware with fast low-precision kernels; some weight-only formats just save memory",
    ),
    (
        "lowering randomness",
        "Hallucination: lower temperature is not a documented mitigation; grounding and checking are",
    ),
];

fn folded(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

#[test]
fn retired_phrases_do_not_come_back() {
    let mut found = Vec::new();
    for file in SECTIONS {
        let text = std::fs::read_to_string(root().join("content").join(file)).expect(file);
        let text = folded(&text);
        for (phrase, why) in RETIRED_PHRASES {
            if text.contains(&folded(phrase)) {
                found.push(format!("{file}: {phrase:?} ({why})"));
            }
        }
    }
    assert!(found.is_empty(), "retired phrases:\n{}", found.join("\n"));
}

/// Labels, headings and instructions that are not glossary terms.
const NON_TERMS: &[&str] = &[
    "Match the task to its name",
    "Delta Sync Index with Databricks-computed embeddings",
    "Exam tips",
    "Note",
    "Tip",
    "Q",
    "A",
    "Putting it together",
];

#[test]
fn no_non_term_is_extracted_as_a_term() {
    let bad: Vec<String> = definitions()
        .into_iter()
        .filter(|(_, term, _, _)| {
            NON_TERMS.iter().any(|n| n.eq_ignore_ascii_case(term))
                || term.split_whitespace().count() > 7
                || term.ends_with('.')
        })
        .map(|(_, term, file, line)| format!("{term:?} at {file}:{line}"))
        .collect();
    assert!(bad.is_empty(), "non-terms extracted:\n{}", bad.join("\n"));
}
