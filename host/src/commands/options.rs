//! A command's options given as (long flag name, value) pairs instead of a command line, parsed
//! by the command's own clap definition: another front end (the Python package) gets the CLI's
//! defaults, validation and error messages without restating any of them.

use clap::builder::EnumValueParser;
use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Arg, Args, Command, FromArgMatches, ValueEnum};
use std::fmt;

/// Why a set of options was rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OptionsError {
    /// No option of that long name (the name as given, without `--`).
    Unknown(String),
    /// A value the command line would reject too; the message is the CLI's one line (with
    /// clap's "a similar value exists" tip), without its `error: ` prefix.
    Invalid(String),
}

impl fmt::Display for OptionsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OptionsError::Unknown(name) => write!(f, "unknown option '--{name}'"),
            OptionsError::Invalid(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for OptionsError {}

impl OptionsError {
    fn from_clap(error: &clap::Error) -> Self {
        if error.kind() == ErrorKind::UnknownArgument {
            if let Some(ContextValue::String(flag)) = error.get(ContextKind::InvalidArg) {
                let name = flag.trim_start_matches('-');
                let name = name.split_once('=').map_or(name, |(name, _)| name);
                return OptionsError::Unknown(name.to_owned());
            }
        }
        OptionsError::Invalid(crate::usage::one_line(error))
    }
}

/// Parses `options` — (long flag name, value) pairs; `None` for a flag without a value — into
/// the clap [`Args`] type `A`, as if they were given as `--name=value` on the command line of
/// `command`: unnamed options get the CLI's defaults, and values are checked as the CLI checks them.
///
/// ```
/// use smoothscore::commands::options::{parse_options, OptionsError};
/// use smoothscore::commands::eval::EvalOptions;
/// let options: EvalOptions = parse_options("eval", &[("radius".into(), Some("0.01".into()))]).unwrap();
/// assert_eq!((options.radius, options.projections), (0.01, 128));
/// let unknown = parse_options::<EvalOptions>("eval", &[("radios".into(), Some("1".into()))]);
/// assert_eq!(unknown.unwrap_err(), OptionsError::Unknown("radios".into()));
/// let invalid = parse_options::<EvalOptions>("eval", &[("projections".into(), Some("x".into()))]);
/// assert!(invalid.unwrap_err().to_string().starts_with("invalid value 'x' for '--projections"));
/// ```
pub fn parse_options<A: Args + FromArgMatches>(
    command: &'static str,
    options: &[(String, Option<String>)],
) -> Result<A, OptionsError> {
    let parser = A::augment_args(Command::new(command).no_binary_name(true));
    let argv = options.iter().map(|(name, value)| match value {
        Some(value) => format!("--{name}={value}"),
        None => format!("--{name}"),
    });
    let matches = parser
        .try_get_matches_from(argv)
        .map_err(|e| OptionsError::from_clap(&e))?;
    A::from_arg_matches(&matches).map_err(|e| OptionsError::from_clap(&e))
}

/// The long names of the options of `A` with their defaults as the CLI spells them (`None`:
/// no default), in declaration order.
///
/// ```
/// use smoothscore::commands::options::option_defaults;
/// let defaults = option_defaults::<smoothscore::commands::eval::EvalOptions>();
/// assert_eq!(defaults[0], ("radius".to_string(), Some("0.001".to_string())));
/// ```
pub fn option_defaults<A: Args>() -> Vec<(String, Option<String>)> {
    A::augment_args(Command::new("options"))
        .get_arguments()
        .filter_map(|arg| {
            let default = arg.get_default_values().first();
            Some((
                arg.get_long()?.to_owned(),
                default.map(|value| value.to_string_lossy().into_owned()),
            ))
        })
        .collect()
}

/// The choices of the options of `A` that take one (clap `ValueEnum`s), as (long name, the
/// values as the CLI spells them), in declaration order.
///
/// ```
/// use smoothscore::commands::options::option_choices;
/// let choices = option_choices::<smoothscore::commands::score::ScoreOptions>();
/// let (name, values) = &choices[0];
/// assert_eq!((name.as_str(), values[0].as_str()), ("process", "vp"));
/// ```
pub fn option_choices<A: Args>() -> Vec<(String, Vec<String>)> {
    A::augment_args(Command::new("options"))
        .get_arguments()
        .filter_map(|arg| {
            let values = arg.get_possible_values();
            let long = arg.get_long()?;
            (!values.is_empty() && arg.get_action().takes_values()).then(|| {
                let names = values.iter().map(|v| v.get_name().to_owned()).collect();
                (long.to_owned(), names)
            })
        })
        .collect()
}

/// Parses `text` as a value of the choice `T` given to the positional argument `name` (as
/// `--help` spells it, e.g. `NAME`), with the CLI's message (and its "a similar value exists"
/// tip) when it is none of them.
///
/// ```
/// use smoothscore::commands::data::DataSet;
/// use smoothscore::commands::options::parse_choice;
/// assert_eq!(parse_choice::<DataSet>("NAME", "two-moons"), Ok(DataSet::TwoMoons));
/// let typo = parse_choice::<DataSet>("NAME", "two-mons").unwrap_err().to_string();
/// assert!(typo.starts_with("invalid value 'two-mons' for '<NAME>'"), "{typo}");
/// assert!(typo.contains("a similar value exists: 'two-moons'"), "{typo}");
/// ```
pub fn parse_choice<T: ValueEnum + Clone + Send + Sync + 'static>(
    name: &'static str,
    text: &str,
) -> Result<T, OptionsError> {
    let parser = Command::new("options").no_binary_name(true).arg(
        Arg::new(name)
            .value_name(name)
            .required(true)
            .value_parser(EnumValueParser::<T>::new()),
    );
    let matches = parser
        .try_get_matches_from([text])
        .map_err(|e| OptionsError::from_clap(&e))?;
    matches
        .get_one::<T>(name)
        .cloned()
        .ok_or_else(|| OptionsError::Invalid(format!("no value for '{name}'")))
}
