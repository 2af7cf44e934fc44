//! clap's usage errors in one line, with their details kept: the missing arguments' names, the
//! "a similar argument exists" tip, the rejected value and why; and the command-line name of a
//! choice ([`choice_name`]) for reports and manifests.

/// The name under which the command line spells `value`, e.g. `dpmpp-2m`.
///
/// ```
/// use smoothscore::sampling::process_spec::ProcessName;
/// assert_eq!(smoothscore::usage::choice_name(ProcessName::Brownian), "brownian");
/// ```
pub fn choice_name<T: clap::ValueEnum>(value: T) -> String {
    value
        .to_possible_value()
        .map_or_else(String::new, |value| value.get_name().to_owned())
}

/// `error` as one line without the `error: ` prefix, e.g.
/// `the following required arguments were not provided: --queries <QUERIES>, --t <T>` or
/// `unexpected argument '--nsamples' found (tip: a similar argument exists: '--n-samples')`.
pub fn one_line(error: &clap::Error) -> String {
    let rendered = error.render().to_string();
    let mut head = String::new();
    let mut items = Vec::new();
    let mut tips = Vec::new();
    for line in rendered.lines().map(str::trim) {
        if line.starts_with("Usage:") || line.starts_with("For more information") {
            break;
        }
        if line.is_empty() {
            continue;
        }
        if head.is_empty() {
            head = line.trim_start_matches("error: ").to_owned();
        } else if let Some(tip) = line.strip_prefix("tip: ") {
            tips.push(tip.to_owned());
        } else {
            items.push(line.to_owned());
        }
    }
    if head.is_empty() {
        head = "invalid arguments".to_owned();
    }
    if !items.is_empty() {
        let separator = if head.ends_with(':') { " " } else { ": " };
        head = format!("{head}{separator}{}", items.join(", "));
    }
    for tip in tips {
        head = format!("{head} (tip: {tip})");
    }
    head
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_of(argv: &[&str]) -> String {
        let command = clap::Command::new("smoothscore").subcommand(
            clap::Command::new("score")
                .arg(clap::Arg::new("data").long("data").required(true))
                .arg(clap::Arg::new("queries").long("queries").required(true))
                .arg(clap::Arg::new("out").long("out").required(true))
                .arg(clap::Arg::new("n-samples").long("n-samples"))
                .arg(
                    clap::Arg::new("seed")
                        .long("seed")
                        .value_parser(clap::value_parser!(u64)),
                ),
        );
        one_line(&command.try_get_matches_from(argv).unwrap_err())
    }

    #[test]
    fn keeps_the_missing_arguments_and_the_suggestion() {
        let missing = error_of(&["smoothscore", "score", "--data", "x.csv"]);
        assert!(missing.contains("--queries <queries>"), "{missing}");
        assert!(missing.contains("--out <out>"), "{missing}");
        assert!(!missing.contains('\n'));
        let typo = error_of(&["smoothscore", "score", "--nsamples", "3"]);
        assert!(typo.contains("'--nsamples'"), "{typo}");
        assert!(typo.contains("'--n-samples'"), "{typo}");
        let value = error_of(&["smoothscore", "score", "--seed", "x"]);
        assert!(value.contains("invalid value 'x' for '--seed"), "{value}");
    }
}
