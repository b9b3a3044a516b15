//! The binary's own surface: it starts, says its version, and its help
//! names every command with a line of text. (The end-to-end tests of what
//! the commands do are in the workspace's `tests/` package, one harness
//! for all.)

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

#[test]
fn version_and_help_name_every_command() {
    let (ok, v) = concord(&["--version"]);
    assert!(ok && v.starts_with("concord "), "{v}");
    let (ok, help) = concord(&["--help"]);
    assert!(ok, "{help}");
    let commands: Vec<&str> = help
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .collect();
    assert!(commands.len() > 20, "{help}");
    for line in &commands {
        let mut words = line.split_whitespace();
        let name = words.next().expect("a command");
        assert!(words.next().is_some(), "`{name}` has no help text: {help}");
        if name != "help" {
            let (ok, sub) = concord(&[name, "--help"]);
            assert!(ok, "concord {name} --help: {sub}");
        }
    }
}
