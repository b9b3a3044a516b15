//! The binary's own surface: it starts, says its version, and its help
//! gives every command, every argument and every option a line of text,
//! at every level of subcommands. (The end-to-end tests of what the
//! commands do are in the workspace's `tests/` package, one harness for
//! all.)

use std::process::Command;

fn concord(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_concord"))
        .args(args)
        .output()
        .expect("run concord");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// The entries of one section (`Commands:`, `Arguments:`, `Options:`) of
/// a short help text: (name, help text), the text empty when missing.
/// clap puts the text beside the name, or, when names are long, on the
/// lines below it, indented further.
fn section(help: &str, title: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for l in help
        .lines()
        .skip_while(|l| l.trim_end() != title)
        .skip(1)
        // Sections end at an empty line; a text left empty below its name
        // is a line of spaces.
        .take_while(|l| !l.is_empty())
    {
        let indent = l.len() - l.trim_start().len();
        let l = l.trim();
        if indent >= 8 {
            if let Some((_, text)) = out.last_mut() {
                text.push_str(l);
            }
            continue;
        }
        // The name and its text are two or more spaces apart; a name
        // never holds two spaces in a row (`-h, --help`, `--x <X>`).
        out.push(match l.split_once("  ") {
            Some((name, text)) => (name.to_string(), text.trim().to_string()),
            None => (l.to_string(), String::new()),
        });
    }
    out
}

/// Checks `concord <path> -h` and, recursively, its subcommands; returns
/// how many commands were checked.
fn check(path: &mut Vec<String>, missing: &mut Vec<String>) -> usize {
    let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
    args.push("-h");
    let (ok, help) = concord(&args);
    assert!(ok, "concord {args:?}: {help}");
    for title in ["Arguments:", "Options:", "Commands:"] {
        for (name, text) in section(&help, title) {
            if text.is_empty() {
                missing.push(format!("concord {} {name}", path.join(" ")));
            }
        }
    }
    let mut checked = 1;
    for (name, _) in section(&help, "Commands:") {
        if name == "help" {
            continue;
        }
        path.push(name);
        checked += check(path, missing);
        path.pop();
    }
    checked
}

#[test]
fn version_and_help_give_every_command_argument_and_option_a_line() {
    let (ok, v) = concord(&["--version"]);
    assert!(ok && v.starts_with("concord "), "{v}");
    let (ok, help) = concord(&["--help"]);
    assert!(ok, "{help}");
    assert!(
        help.contains("CONCORD_LOG"),
        "the log filter is documented: {help}"
    );
    assert!(section(&help, "Commands:").len() > 20, "{help}");
    let mut missing = Vec::new();
    let checked = check(&mut Vec::new(), &mut missing);
    assert!(checked > 60, "only {checked} commands were found");
    assert!(
        missing.is_empty(),
        "without help text:\n{}",
        missing.join("\n")
    );
}

#[test]
fn the_section_reader_sees_a_missing_text() {
    let help = "Usage: x\n\nArguments:\n  <NAME>  \n  <OTHER>  Its text\n\nOptions:\n      --flag <F>  \n  -h, --help  Print help\n";
    assert_eq!(
        section(help, "Arguments:"),
        vec![
            ("<NAME>".to_string(), String::new()),
            ("<OTHER>".to_string(), "Its text".to_string())
        ]
    );
    assert_eq!(
        section(help, "Options:")[0],
        ("--flag <F>".to_string(), String::new())
    );
    let below = "Options:\n      --long-name <LONG>\n          Its text\n      --bare\n          \n  -h, --help\n          Print help\n";
    assert_eq!(
        section(below, "Options:"),
        vec![
            ("--long-name <LONG>".to_string(), "Its text".to_string()),
            ("--bare".to_string(), String::new()),
            ("-h, --help".to_string(), "Print help".to_string())
        ]
    );
}
