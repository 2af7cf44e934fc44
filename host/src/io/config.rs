//! `--config run.toml`: options from a TOML file, spliced into the command line after the
//! subcommand, so every command accepts them and flags typed on the command line win.
//!
//! Keys are the long flag names (`n-samples` or `n_samples`); values are strings, numbers,
//! booleans (`true` adds a switch, `false` leaves it out) or arrays (joined by commas, for
//! list options such as `bandwidths`). An optional `command = "experiment memorization"`
//! names the command when the command line gives none. Unknown keys are errors naming the
//! file and the command, never silently ignored.

use anyhow::{bail, Context, Result};

/// Switches that may precede the subcommand.
const LEADING_SWITCHES: [&str; 2] = ["-q", "--quiet"];

/// `argv` with its `--config FILE` replaced by the file's options (placed after the
/// subcommand path, skipping any flag the command line already gives); `definition` is the
/// CLI's clap command, which says which flags each subcommand accepts.
pub fn expand(argv: Vec<String>, definition: &clap::Command) -> Result<Vec<String>> {
    let Some((position, width, file)) = find_config(&argv) else {
        return Ok(argv);
    };
    let mut argv = argv;
    argv.drain(position..position + width);
    let text =
        std::fs::read_to_string(&file).with_context(|| format!("cannot read --config {file}"))?;
    let table: toml::Table = text
        .parse()
        .with_context(|| format!("{file}: not a TOML table of options"))?;
    let mut start = 1;
    while argv
        .get(start)
        .is_some_and(|a| LEADING_SWITCHES.contains(&a.as_str()))
    {
        start += 1;
    }
    let mut path_len = argv[start.min(argv.len())..]
        .iter()
        .take_while(|a| !a.starts_with('-'))
        .count();
    if path_len == 0 {
        if let Some(command) = table.get("command") {
            let command = command
                .as_str()
                .with_context(|| format!("{file}: 'command' must be a string"))?;
            let words: Vec<String> = command.split_whitespace().map(str::to_owned).collect();
            path_len = words.len();
            argv.splice(start..start, words);
        }
    }
    let path: Vec<String> = argv[start..start + path_len].to_vec();
    let known = long_flags(definition, &path);
    let mut spliced = Vec::new();
    for (key, value) in &table {
        if key == "command" {
            continue;
        }
        let flag = format!("--{}", key.replace('_', "-"));
        if !known.contains(&flag) {
            bail!(
                "{file}: unknown option '{key}' for `smoothscore {}`",
                path.join(" ")
            );
        }
        let given = argv
            .iter()
            .any(|a| *a == flag || a.starts_with(&format!("{flag}=")));
        if given {
            continue;
        }
        match value {
            toml::Value::Boolean(true) => spliced.push(flag),
            toml::Value::Boolean(false) => {}
            other => {
                spliced.push(flag);
                spliced.push(scalar(other).with_context(|| format!("{file}: option '{key}'"))?);
            }
        }
    }
    let at = start + path_len;
    argv.splice(at..at, spliced);
    Ok(argv)
}

/// `(index, tokens, file)` of the first `--config FILE` / `--config=FILE`.
fn find_config(argv: &[String]) -> Option<(usize, usize, String)> {
    argv.iter().enumerate().skip(1).find_map(|(i, a)| {
        if a == "--config" {
            Some((i, 2, argv.get(i + 1).cloned().unwrap_or_default()))
        } else {
            a.strip_prefix("--config=").map(|f| (i, 1, f.to_owned()))
        }
    })
}

/// The long flags (with `--`) accepted by the subcommand at `path` (globals included).
fn long_flags(definition: &clap::Command, path: &[String]) -> Vec<String> {
    let mut command = definition.clone();
    command.build();
    let mut current = &command;
    for word in path {
        match current.find_subcommand(word) {
            Some(sub) => current = sub,
            None => break,
        }
    }
    current
        .get_arguments()
        .filter_map(|a| a.get_long())
        .map(|l| format!("--{l}"))
        .collect()
}

/// One option value as command-line text.
fn scalar(value: &toml::Value) -> Result<String> {
    Ok(match value {
        toml::Value::String(s) => s.clone(),
        toml::Value::Integer(i) => i.to_string(),
        toml::Value::Float(f) => f.to_string(),
        toml::Value::Boolean(b) => b.to_string(),
        toml::Value::Array(items) => items
            .iter()
            .map(scalar)
            .collect::<Result<Vec<_>>>()?
            .join(","),
        other => bail!("{} values are not options", other.type_str()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(words: &str) -> Vec<String> {
        words.split_whitespace().map(str::to_owned).collect()
    }

    /// A clap definition shaped like the CLI's (the real one is tested in `host/tests`).
    fn definition() -> clap::Command {
        let option = |name: &'static str| clap::Arg::new(name).long(name);
        clap::Command::new("smoothscore")
            .arg(option("quiet").short('q').action(clap::ArgAction::SetTrue))
            .subcommand(clap::Command::new("sample").args([
                option("seed"),
                option("n-samples"),
                option("process"),
            ]))
            .subcommand(clap::Command::new("experiment").subcommand(
                clap::Command::new("memorization").args([
                    option("bandwidths"),
                    option("json").action(clap::ArgAction::SetTrue),
                    option("plot"),
                ]),
            ))
    }

    fn expand(argv: Vec<String>) -> Result<Vec<String>> {
        super::expand(argv, &definition())
    }

    fn with_config(toml: &str, words: &str) -> Result<Vec<String>> {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("run.toml");
        std::fs::write(&file, toml).unwrap();
        expand(argv(&words.replace("FILE", file.to_str().unwrap())))
    }

    #[test]
    fn options_land_after_the_subcommand_and_the_command_line_wins() {
        let out = with_config(
            "seed = 7\nn_samples = 16\nprocess = \"ve\"\n",
            "smoothscore sample --config FILE --seed 3",
        )
        .unwrap();
        assert_eq!(
            out,
            argv("smoothscore sample --n-samples 16 --process ve --seed 3")
        );
    }

    #[test]
    fn the_file_may_name_the_command_and_lists_join_with_commas() {
        let out = with_config(
            "command = \"experiment memorization\"\nbandwidths = [0, 0.5]\njson = true\nplot = false\n",
            "smoothscore -q --config FILE",
        )
        .unwrap();
        assert_eq!(
            out,
            argv("smoothscore -q experiment memorization --bandwidths 0,0.5 --json")
        );
    }

    #[test]
    fn unknown_keys_and_missing_files_are_errors() {
        let error = with_config("sead = 7\n", "smoothscore sample --config FILE").unwrap_err();
        assert!(error
            .to_string()
            .contains("unknown option 'sead' for `smoothscore sample`"));
        let error = expand(argv("smoothscore sample --config /nonexistent.toml")).unwrap_err();
        assert!(error
            .to_string()
            .contains("cannot read --config /nonexistent.toml"));
        let error = with_config("seed = [", "smoothscore sample --config FILE").unwrap_err();
        assert!(error.to_string().contains("not a TOML table"));
    }

    #[test]
    fn without_config_the_command_line_is_untouched() {
        let words = argv("smoothscore sample --seed 3");
        assert_eq!(expand(words.clone()).unwrap(), words);
    }
}
