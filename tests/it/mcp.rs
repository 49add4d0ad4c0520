//! `gloss mcp` driven by a real MCP client: rmcp's client side spawns the built binary over
//! stdio, initializes, lists the tools and calls each; plus the raw wire (only JSON-RPC on
//! stdout, a clean exit when stdin closes).

use std::future::Future;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use rmcp::model::{CallToolRequestParams, CallToolResult, JsonObject, ReadResourceRequestParams};
use rmcp::service::RunningService;
use rmcp::transport::TokioChildProcess;
use rmcp::{RoleClient, ServiceExt};
use serde_json::{json, Value};

use crate::common::Sandbox;

/// Longest wait for one exchange: a hung server fails the test instead of hanging it.
const PATIENCE: Duration = Duration::from_secs(60);

/// A client connected to `gloss mcp` on a copy of `tests/fixtures/mcp`.
struct Session {
    runtime: tokio::runtime::Runtime,
    client: Option<RunningService<RoleClient, ()>>,
    sandbox: Sandbox,
}

/// `gloss --content notes --index index mcp` in the sandbox, environment cleared of GLOSS_*.
fn gloss_mcp(sandbox: &Sandbox) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gloss"));
    cmd.current_dir(sandbox.dir.path())
        .env_remove("GLOSS_CONTENT")
        .env_remove("GLOSS_INDEX")
        .env_remove("GLOSS_NO_REFRESH")
        .env("GLOSS_CONFIG", "")
        .arg("--content")
        .arg(sandbox.notes())
        .arg("--index")
        .arg(sandbox.index())
        .arg("mcp");
    cmd
}

impl Session {
    fn start() -> Session {
        let sandbox = Sandbox::new("mcp");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let command = tokio::process::Command::from(gloss_mcp(&sandbox));
        let client = runtime.block_on(async {
            let (transport, _) = TokioChildProcess::builder(command)
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn gloss mcp");
            within(().serve(transport))
                .await
                .expect("initialize gloss mcp")
        });
        Session {
            runtime,
            client: Some(client),
            sandbox,
        }
    }

    fn client(&self) -> &RunningService<RoleClient, ()> {
        self.client.as_ref().expect("connected")
    }

    /// Calls `tool` with `args` (a JSON object); the raw result.
    fn call(&self, tool: &str, args: Value) -> CallToolResult {
        let args: JsonObject = serde_json::from_value(args).expect("arguments are an object");
        let params = CallToolRequestParams::new(tool.to_string()).with_arguments(args);
        self.runtime
            .block_on(within(self.client().call_tool(params)))
            .unwrap_or_else(|e| panic!("{tool} call failed: {e}"))
    }

    /// Calls `tool` expecting success; its structured content.
    fn ok(&self, tool: &str, args: Value) -> Value {
        let result = self.call(tool, args);
        assert_eq!(result.is_error, Some(false), "{tool}: {}", text(&result));
        assert!(!text(&result).is_empty(), "{tool}: no readable text");
        result.structured_content.expect("structured content")
    }

    /// Calls `tool` expecting a tool error; its message.
    fn error(&self, tool: &str, args: Value) -> String {
        let result = self.call(tool, args);
        assert_eq!(
            result.is_error,
            Some(true),
            "{tool} should fail: {}",
            text(&result)
        );
        text(&result)
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            let _ = self.runtime.block_on(within(client.cancel()));
        }
    }
}

async fn within<T>(f: impl Future<Output = T>) -> T {
    tokio::time::timeout(PATIENCE, f)
        .await
        .expect("gloss mcp answered in time")
}

/// The text content of a result, joined.
fn text(result: &CallToolResult) -> String {
    result
        .content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.clone()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// (term or kind, source) of each hit.
fn hits(found: &Value) -> Vec<(String, String)> {
    found["hits"]
        .as_array()
        .expect("hits")
        .iter()
        .map(|h| {
            let name = h["term"].as_str().or(h["kind"].as_str()).unwrap_or("");
            (name.to_string(), h["source"].as_str().unwrap().to_string())
        })
        .collect()
}

fn pair(a: &str, b: &str) -> (String, String) {
    (a.to_string(), b.to_string())
}

#[test]
fn initialize_names_gloss_and_lists_five_tools_with_schemas() {
    let s = Session::start();
    let info = s.client().peer_info().expect("server info");
    assert_eq!(info.server_info.as_ref().expect("serverInfo").name, "gloss");
    assert!(info.capabilities.tools.is_some());
    assert!(info.capabilities.resources.is_some());
    let tools = s
        .runtime
        .block_on(within(s.client().list_all_tools()))
        .expect("tools/list");
    let mut names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    names.sort_unstable();
    assert_eq!(names, ["context", "define", "related", "search", "terms"]);
    for tool in &tools {
        assert!(
            tool.description.as_ref().is_some_and(|d| d.len() > 40),
            "{}",
            tool.name
        );
        assert_eq!(tool.input_schema["type"], "object", "{}", tool.name);
        assert!(tool.output_schema.is_some(), "{}", tool.name);
    }
    let define = tools.iter().find(|t| t.name == "define").unwrap();
    assert_eq!(define.input_schema["required"], json!(["term"]));
    assert_eq!(define.input_schema["properties"]["term"]["type"], "string");
    let search = tools.iter().find(|t| t.name == "search").unwrap();
    assert_eq!(search.input_schema["required"], json!(["query"]));
    assert_eq!(search.input_schema["properties"]["scope"]["type"], "array");
}

#[test]
fn define_gives_the_definition_with_aliases_text_headings_and_file_line() {
    let s = Session::start();
    let found = s.ok("define", json!({ "term": "positional encodings" }));
    let top = &found["hits"][0];
    assert_eq!(top["term"], "Positional encoding");
    assert_eq!(top["aliases"], json!(["PE"]));
    assert_eq!(top["kind"], "definition");
    assert_eq!(
        top["text"],
        "A vector added to each token embedding so self-attention knows word order."
    );
    assert_eq!(
        top["heading_path"],
        json!(["Transformers", "Building blocks"])
    );
    assert_eq!(
        (&top["file"], &top["line"]),
        (&json!("transformers.md"), &json!(11))
    );
    assert_eq!(top["source"], "transformers.md:11");
    // By alias, and the readable text cites the same place.
    let result = s.call("define", json!({ "term": "PE", "limit": 1 }));
    assert!(text(&result).contains("Positional encoding (also: PE) — transformers.md:11"));
    let by_alias = result.structured_content.unwrap();
    assert_eq!(
        hits(&by_alias),
        [pair("Positional encoding", "transformers.md:11")]
    );
}

#[test]
fn a_hits_uri_reads_its_note_as_a_resource() {
    let s = Session::start();
    let found = s.ok("define", json!({ "term": "chunk" }));
    let uri = found["hits"][0]["uri"].as_str().unwrap().to_string();
    assert_eq!(uri, "gloss://retrieval/rag.md#L5");
    let read = s
        .runtime
        .block_on(within(
            s.client()
                .read_resource(ReadResourceRequestParams::new(&uri)),
        ))
        .expect("resources/read");
    let Some(rmcp::model::ResourceContents::TextResourceContents { text, .. }) =
        read.contents.first()
    else {
        panic!("no text in {read:?}");
    };
    assert_eq!(
        text.lines().nth(4),
        Some("**Chunk**: A piece of a document, sized to fit beside a question.")
    );
    let outside = s
        .runtime
        .block_on(within(s.client().read_resource(
            ReadResourceRequestParams::new("gloss://../etc/passwd"),
        )));
    assert!(outside.is_err(), "{outside:?}");
}

#[test]
fn search_puts_definitions_before_passages_and_honours_limit_and_scope() {
    let s = Session::start();
    let found = s.ok("search", json!({ "query": "chunk" }));
    let all = hits(&found);
    assert_eq!(all[0], pair("Chunk", "retrieval/rag.md:5"));
    assert!(
        all.contains(&pair("passage", "retrieval/rag.md:7")),
        "{all:?}"
    );
    let first_passage = all.iter().position(|(n, _)| n == "passage").unwrap();
    assert!(
        all[first_passage..].iter().all(|(n, _)| n == "passage"),
        "{all:?}"
    );

    let one = s.ok("search", json!({ "query": "token", "limit": 1 }));
    assert_eq!(hits(&one), [pair("Token", "transformers.md:9")]);

    let scoped = s.ok(
        "search",
        json!({ "query": "token", "scope": ["retrieval/"] }),
    );
    assert_eq!(hits(&scoped), []);
    let scoped = s.ok(
        "search",
        json!({ "query": "sequence", "scope": ["transformers.md"] }),
    );
    assert!(hits(&scoped)
        .iter()
        .all(|(_, source)| source.starts_with("transformers.md:")));
}

#[test]
fn related_gives_mentions_and_mentioned_by() {
    let s = Session::start();
    let related = s.ok("related", json!({ "term": "token" }));
    assert_eq!(related["term"]["term"], "Token");
    assert_eq!(related["term"]["source"], "transformers.md:9");
    let names = |key: &str| -> Vec<String> {
        related[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                format!(
                    "{} {}",
                    t["term"].as_str().unwrap(),
                    t["source"].as_str().unwrap()
                )
            })
            .collect()
    };
    assert_eq!(
        names("mentioned_by"),
        [
            "Positional encoding transformers.md:11",
            "Self-attention transformers.md:7"
        ]
    );
    let pe = s.ok("related", json!({ "term": "PE" }));
    let mentions: Vec<&str> = pe["mentions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["term"].as_str().unwrap())
        .collect();
    assert_eq!(mentions, ["Token", "Self-attention"]);
}

#[test]
fn terms_lists_the_glossary_a_to_z_with_prefix_and_limit() {
    let s = Session::start();
    let all = s.ok("terms", json!({}));
    let names: Vec<&str> = all["terms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["term"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "Chunk",
            "Positional encoding",
            "Retrieval-augmented generation",
            "Self-attention",
            "Token"
        ]
    );
    assert_eq!(all["total"], 5);
    let some = s.ok("terms", json!({ "prefix": "re" }));
    assert_eq!(some["terms"][0]["term"], "Retrieval-augmented generation");
    assert_eq!(some["terms"][0]["source"], "retrieval/rag.md:3");
    assert_eq!(some["total"], 1);
    let two = s.ok("terms", json!({ "limit": 2 }));
    assert_eq!(
        (two["terms"].as_array().unwrap().len(), &two["total"]),
        (2, &json!(5))
    );
}

#[test]
fn context_gives_the_section_or_lines_around_a_file_line() {
    let s = Session::start();
    let section = s.ok("context", json!({ "file": "transformers.md", "line": 15 }));
    assert_eq!(
        (&section["first"], &section["last"]),
        (&json!(13), &json!(16))
    );
    assert_eq!(
        section["text"],
        "### Why attention scales\n\nAttention cost grows with the square of the sequence length.\n\
         Pretraining predicts the next token over a large corpus."
    );
    let lines = s.ok(
        "context",
        json!({ "file": "retrieval/rag.md", "line": 5, "lines": 2 }),
    );
    assert_eq!(lines["source"], "retrieval/rag.md:3-7");
    let read = lines["text"].as_str().unwrap();
    assert!(
        read.starts_with("**Retrieval-augmented generation (RAG)**"),
        "{read}"
    );
    assert!(read.ends_with("straddle a boundary retrievable."), "{read}");
    let result = s.call(
        "context",
        json!({ "file": "transformers.md", "line": 9, "lines": 0 }),
    );
    assert!(text(&result).contains(">    9 | **Token**: The basic unit of text a model reads."));
}

#[test]
fn bad_arguments_are_tool_errors_and_the_server_keeps_answering() {
    let s = Session::start();
    let missing = s.error("define", json!({}));
    assert!(missing.contains("missing field `term`"), "{missing}");
    let wrong = s.error("search", json!({ "query": 42 }));
    assert!(wrong.contains("invalid type"), "{wrong}");
    let empty = s.error("search", json!({ "query": "   " }));
    assert!(empty.contains("`query` is empty"), "{empty}");
    let limit = s.error("define", json!({ "term": "token", "limit": 0 }));
    assert!(limit.contains("between 1 and 100"), "{limit}");
    let unknown = s.error("define", json!({ "term": "token", "query": "x" }));
    assert!(unknown.contains("unknown field `query`"), "{unknown}");
    let outside = s.error("context", json!({ "file": "../secret.md", "line": 1 }));
    assert!(outside.contains("no readable note"), "{outside}");
    let past = s.error("context", json!({ "file": "retrieval/rag.md", "line": 99 }));
    assert!(past.contains("has 7 lines"), "{past}");
    let glob = s.error("search", json!({ "query": "token", "scope": ["[a"] }));
    assert!(glob.contains("not a valid glob"), "{glob}");
    // Still serving.
    let found = s.ok("define", json!({ "term": "token" }));
    assert_eq!(hits(&found)[0], pair("Token", "transformers.md:9"));
}

#[test]
fn nothing_found_is_an_answer_not_an_error() {
    let s = Session::start();
    let result = s.call("define", json!({ "term": "zebra crossing" }));
    assert_eq!(result.is_error, Some(false));
    let found = result.structured_content.as_ref().unwrap();
    assert_eq!(found["hits"], json!([]));
    assert!(text(&result).starts_with("no definition for \"zebra crossing\""));
}

#[test]
fn an_edit_between_two_calls_is_seen_by_the_second() {
    let s = Session::start();
    let before = s.ok("define", json!({ "term": "perplexity" }));
    assert_eq!(hits(&before), []);
    s.sandbox.write(
        "retrieval/rag.md",
        "# Retrieval\n\n**Perplexity**: How surprised a model is by a text; lower is better.\n",
    );
    let after = s.ok("define", json!({ "term": "perplexity" }));
    assert_eq!(hits(&after), [pair("Perplexity", "retrieval/rag.md:3")]);
    // The definitions the edit removed are gone too.
    let chunk = s.ok("define", json!({ "term": "chunk" }));
    assert_eq!(hits(&chunk), []);
}

/// Reads stdout lines on a thread so a silent server fails the test instead of hanging it.
fn lines_of(stdout: std::process::ChildStdout) -> mpsc::Receiver<String> {
    let (send, receive) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if send.send(line).is_err() {
                break;
            }
        }
    });
    receive
}

#[test]
fn stdout_carries_only_json_rpc_and_the_server_exits_when_stdin_closes() {
    let sandbox = Sandbox::new("mcp");
    let mut child = gloss_mcp(&sandbox)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn gloss mcp");
    let mut stdin = child.stdin.take().unwrap();
    let lines = lines_of(child.stdout.take().unwrap());
    let requests = [
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "raw", "version": "0"}}}),
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
            "params": {"name": "define", "arguments": {"term": "token"}}}),
        json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call",
            "params": {"name": "search", "arguments": {"limit": "ten"}}}),
    ];
    let mut answers = Vec::new();
    for request in &requests {
        writeln!(stdin, "{request}").unwrap();
        stdin.flush().unwrap();
        if request.get("id").is_some() {
            let line = lines.recv_timeout(PATIENCE).expect("an answer line");
            answers.push(serde_json::from_str::<Value>(&line).expect("stdout line is JSON"));
        }
    }
    drop(stdin);
    // Nothing else arrives, and the process ends on its own.
    assert!(
        lines.recv_timeout(PATIENCE).is_err(),
        "stdout closes after stdin"
    );
    let output = child.wait_with_output().expect("exit");
    assert!(output.status.success(), "{:?}", output.status);
    for answer in &answers {
        assert_eq!(answer["jsonrpc"], "2.0");
    }
    assert_eq!(answers[0]["result"]["serverInfo"]["name"], "gloss");
    assert_eq!(answers[0]["result"]["protocolVersion"], "2025-06-18");
    let define = &answers[1]["result"];
    assert_eq!(define["isError"], false);
    assert_eq!(
        define["structuredContent"]["hits"][0]["source"],
        "transformers.md:9"
    );
    let bad = &answers[2]["result"];
    assert_eq!(bad["isError"], true);
    // The index build was reported on stderr, not stdout.
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("indexed 2 of 2 files"), "{stderr}");
}
