//! `--config run.toml`: options from a TOML file, spliced into the command line after the
//! subcommand, so every command accepts them and flags typed on the command line win.
//!
//! Keys are the long flag names (`n-samples` or `n_samples`); values are strings, numbers,
//! booleans (`true` adds a switch, `false` leaves it out) or arrays (joined by commas, for
//! list options such as `bandwidths`). An optional `command = "experiment memorization"`
//! names the command when the command line gives none. Unknown keys are errors naming the
//! file and the command, never silently ignored.

use anyhow::{anyhow, bail, Context, Result};

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
    let bytes = crate::io::limits::read_bounded(
        std::path::Path::new(&file),
        crate::io::limits::MAX_CONFIG_BYTES,
        "--config",
    )
    .map_err(|e| anyhow!("--config: {e:#}"))?;
    let text = String::from_utf8(bytes).map_err(|_| anyhow!("{file}: not UTF-8 text"))?;
    expand_text(argv, &text, &file, definition)
}

/// [`expand`] with the file's text given: `argv` (without its `--config FILE`) with the
/// options of `text` spliced in. `file` names the file in messages. Every value is checked
/// with its flag's own parser, also when the command line gives the flag (and so wins).
pub fn expand_text(
    mut argv: Vec<String>,
    text: &str,
    file: &str,
    definition: &clap::Command,
) -> Result<Vec<String>> {
    let table: toml::Table = text.parse().map_err(|error: toml::de::Error| {
        anyhow!(
            "{file}: not a TOML table of options: {}",
            one_line_toml(text, &error)
        )
    })?;
    if argv.is_empty() {
        bail!("no command line");
    }
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
            let at = start.min(argv.len());
            argv.splice(at..at, words);
        }
    }
    let start = start.min(argv.len());
    let path: Vec<String> = argv[start..(start + path_len).min(argv.len())].to_vec();
    let mut command = definition.clone();
    command.build();
    let leaf = leaf_command(&command, &path);
    let mut spliced = Vec::new();
    for (key, value) in &table {
        if key == "command" {
            continue;
        }
        let flag = format!("--{}", key.replace('_', "-"));
        let Some(argument) = leaf
            .get_arguments()
            .find(|a| a.get_long().is_some_and(|l| format!("--{l}") == flag))
        else {
            bail!(
                "{file}: unknown option '{key}' for `smoothscore {}`",
                path.join(" ")
            );
        };
        let words = option_words(argument, &flag, value)
            .map_err(|e| anyhow!("{file}: option '{key}': {e:#}"))?;
        let given = argv
            .iter()
            .any(|a| *a == flag || a.starts_with(&format!("{flag}=")));
        if !given {
            spliced.extend(words);
        }
    }
    let at = (start + path_len).min(argv.len());
    argv.splice(at..at, spliced);
    Ok(argv)
}

/// The subcommand at `path` (the deepest one found).
fn leaf_command<'a>(command: &'a clap::Command, path: &[String]) -> &'a clap::Command {
    let mut current = command;
    for word in path {
        match current.find_subcommand(word) {
            Some(sub) => current = sub,
            None => break,
        }
    }
    current
}

/// The command-line words of one option: a switch is `true` (the flag) or `false` (nothing);
/// any other value must be a scalar or an array of scalars that the flag's own parser accepts.
fn option_words(argument: &clap::Arg, flag: &str, value: &toml::Value) -> Result<Vec<String>> {
    let switch = !argument.get_action().takes_values();
    match (switch, value) {
        (true, toml::Value::Boolean(true)) => return Ok(vec![flag.to_owned()]),
        (true, toml::Value::Boolean(false)) => return Ok(Vec::new()),
        (true, other) => bail!(
            "{flag} is a switch: true or false, not {}",
            other.type_str()
        ),
        (false, toml::Value::Boolean(false)) => return Ok(Vec::new()),
        (false, toml::Value::Boolean(true)) => bail!("{flag} takes a value, not true"),
        _ => {}
    }
    let text = scalar(value)?;
    let pieces: Vec<&str> = match argument.get_value_delimiter() {
        Some(delimiter) => text.split(delimiter).collect(),
        None => vec![text.as_str()],
    };
    let checker = clap::Command::new("smoothscore").no_binary_name(true).arg(
        clap::Arg::new("value")
            .value_name("VALUE")
            .allow_hyphen_values(true)
            .value_parser(argument.get_value_parser().clone()),
    );
    for piece in pieces {
        checker
            .clone()
            .try_get_matches_from([piece])
            .map_err(|error| {
                anyhow!(
                    "{}",
                    crate::usage::one_line(&error)
                        .replace("'<VALUE>'", &format!("'{flag}'"))
                        .replace("'[VALUE]'", &format!("'{flag}'"))
                )
            })?;
    }
    Ok(vec![flag.to_owned(), text])
}

/// A TOML syntax error in one line: its message with the line and column it points at.
fn one_line_toml(text: &str, error: &toml::de::Error) -> String {
    let message = error.message().trim().replace('\n', " ");
    match error.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
            format!("line {line}, column {column}: {message}")
        }
        None => message,
    }
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
                option("seed").value_parser(clap::value_parser!(u64)),
                option("json").action(clap::ArgAction::SetTrue),
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
        assert!(
            error
                .to_string()
                .contains("--config: cannot read /nonexistent.toml"),
            "{error}"
        );
        let error = with_config("seed = [", "smoothscore sample --config FILE").unwrap_err();
        assert!(error.to_string().contains("not a TOML table"));
    }

    #[test]
    fn values_are_type_checked_even_when_the_command_line_wins() {
        let error = with_config(
            "seed = \"x\"\n",
            "smoothscore sample --config FILE --seed 3",
        )
        .unwrap_err()
        .to_string();
        assert!(error.contains("option 'seed'"), "{error}");
        assert!(error.contains("invalid value 'x' for '--seed'"), "{error}");
        let error = with_config("json = 3\n", "smoothscore sample --config FILE")
            .unwrap_err()
            .to_string();
        assert!(error.contains("is a switch"), "{error}");
        let error = with_config("seed = true\n", "smoothscore sample --config FILE")
            .unwrap_err()
            .to_string();
        assert!(error.contains("takes a value"), "{error}");
        let error = with_config("[seed]\nx = 1\n", "smoothscore sample --config FILE")
            .unwrap_err()
            .to_string();
        assert!(error.contains("table values are not options"), "{error}");
    }

    #[test]
    fn syntax_errors_are_one_line_with_their_position() {
        let error = with_config(
            "seed = 1\nn_samples = [\n",
            "smoothscore sample --config FILE",
        )
        .unwrap_err()
        .to_string();
        assert!(!error.contains('\n'), "{error}");
        assert!(error.contains("line 3"), "{error}");
    }

    #[test]
    fn without_config_the_command_line_is_untouched() {
        let words = argv("smoothscore sample --seed 3");
        assert_eq!(expand(words.clone()).unwrap(), words);
    }
}
