fn main() {
    let path = std::env::args().nth(1).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let doc = gloss::sections::parse(&text);
    if std::env::args().nth(2).is_some() {
        println!("{:#?}", doc);
    }
    for e in gloss::entries::extract(&path, &doc) {
        if e.kind == gloss::entries::Kind::Definition {
            println!(
                "{}:{} [{}] {:?} = {}",
                e.file,
                e.line,
                e.term.unwrap(),
                e.aliases,
                e.text.chars().take(70).collect::<String>()
            );
        }
    }
}
