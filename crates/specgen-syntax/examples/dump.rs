fn main() {
    let path = std::env::args().nth(1).unwrap();
    let text = std::fs::read_to_string(path).unwrap();
    let parsed = specgen_syntax::parse(specgen_diagnostics::FileId(0), &text);
    println!("{:#?}", parsed);
}
