//! The command-line interface: the top-level clap parser and the dispatch to [`crate::commands`].
//! `main` only parses, calls [`run`], prints its report, and turns an error into one line.

use crate::commands::{
    bench, completions, concat, crosscheck, data, density, eval, manpage, reproduce, sample, score,
};
use crate::experiment::ExperimentArgs;
use crate::manifest::{FileArg, PathFlag, PathValue, Recorded};
use anyhow::Result;
use clap::{CommandFactory, Parser, Subcommand};
use std::path::PathBuf;

/// Diffusion sampling from a finite data set with the closed-form empirical score.
#[derive(Debug, Parser)]
#[command(name = "smoothscore", version)]
pub struct Cli {
    /// No progress bars (they are drawn only on a terminal anyway).
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Read options from a TOML file (keys: long flag names); flags on the command line win.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Field separator of text inputs (.csv, .tsv); default: detected from the first line
    /// (a tab, else `;`, else `,`).
    #[arg(long, global = true, value_enum)]
    pub delimiter: Option<crate::io::formats::Delimiter>,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Draw samples with the reverse SDE / probability-flow ODE (or the pinned Brownian motion).
    #[command(after_help = crate::help::SAMPLE)]
    Sample(sample::SampleArgs),
    /// Evaluate the score (or weights, posterior mean, noise prediction, drift) at time t.
    #[command(after_help = crate::help::SCORE)]
    Score(score::ScoreArgs),
    /// Train a score network (denoising score matching; pbm: drift matching) into .safetensors.
    #[cfg(feature = "train")]
    #[command(after_help = crate::help::TRAIN)]
    Train(crate::commands::train::TrainArgs),
    /// The LED-KDE p̂_t ∝ exp(K_h * log p_t^N) normalised on a grid (d ≤ 2): x, (y,) density rows.
    #[command(after_help = crate::help::DENSITY)]
    Density(density::DensityArgs),
    /// The f32 core against the f64 reference (validated in 192-bit): ULP report per quantity.
    #[command(after_help = crate::help::CROSSCHECK)]
    Crosscheck(crosscheck::CrosscheckArgs),
    /// Data sets: list, generate to a file, describe a file.
    #[command(after_help = crate::help::DATA)]
    Data(data::DataArgs),
    /// Sample-quality metrics against the training set and a held-out set.
    #[command(after_help = crate::help::EVAL)]
    Eval(eval::EvalArgs),
    /// Join the rows of CSV/NPY files in order (the shards of `sample --shard`) into one file.
    #[command(after_help = crate::help::CONCAT)]
    Concat(concat::ConcatArgs),
    /// Reproduce the seeds' experiments as tables (memorization, interpolation, …).
    #[command(after_help = crate::help::EXPERIMENT)]
    Experiment(ExperimentArgs),
    /// Re-run the command recorded in a `.manifest.json` and report whether the bits match.
    #[command(after_help = crate::help::REPRODUCE)]
    Reproduce(reproduce::ReproduceArgs),
    /// Speed of the score kernel: GFLOP/s, fraction of peak, pairs/s, bandwidth, peers.
    Bench(bench::BenchArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) to stdout.
    Completions(completions::CompletionsArgs),
    /// Print the man page (roff) to stdout.
    Manpage,
}

/// Runs a parsed command line and returns the report to print.
pub fn run(cli: Cli) -> Result<String> {
    crate::io::formats::set_delimiter(cli.delimiter);
    match cli.command {
        Command::Sample(args) => sample::run(&args),
        Command::Score(args) => score::run(&args),
        #[cfg(feature = "train")]
        Command::Train(args) => crate::commands::train::run(&args),
        Command::Density(args) => density::run(&args),
        Command::Crosscheck(args) => crosscheck::run(&args),
        Command::Data(args) => data::run(&args),
        Command::Eval(args) => eval::run(&args),
        Command::Concat(args) => concat::run(&args),
        Command::Experiment(args) => crate::experiment::run(&args),
        Command::Reproduce(args) => reproduce::run::<Cli>(&args),
        Command::Bench(args) => bench::run(&args),
        Command::Completions(args) => completions::run(&args, Cli::command()),
        Command::Manpage => manpage::run(Cli::command()),
    }
}

/// Every path-valued flag of the commands that write output files (`sample`, `score`, `train`,
/// `density`, `data generate`, `experiment`), or `None` for the commands that write none
/// (`reproduce`, `bench`, `crosscheck`, `eval`, `data list|describe`, `completions`,
/// `manpage`) and for `concat`, which only joins files and records no manifest. Exhaustive over [`Command`], so a new command has to be classified here; the
/// test `every_path_flag_is_classified` checks that no path-valued flag is missed.
pub fn path_flags(command: &mut Command) -> Option<Vec<PathFlag<'_>>> {
    Some(match command {
        Command::Sample(args) => args.path_flags(),
        Command::Score(args) => args.path_flags(),
        #[cfg(feature = "train")]
        Command::Train(args) => args.path_flags(),
        Command::Density(args) => args.path_flags(),
        Command::Data(args) => args.path_flags()?,
        Command::Experiment(args) => {
            let folder = Some(PathBuf::from("experiments").join(args.which.name()));
            let mut flags = vec![
                PathFlag::output_folder(
                    "--out-dir",
                    PathValue::Optional(&mut args.out_dir, folder),
                ),
                PathFlag::output("--plot", PathValue::Optional(&mut args.plot, None)),
            ];
            let (mnist, slice_plot) = args.which.path_options();
            if let Some(slice_plot) = slice_plot {
                flags.push(PathFlag::output(
                    "--slice-plot",
                    PathValue::Optional(slice_plot, None),
                ));
            }
            if let Some(mnist) = mnist {
                // A folder is recorded as its training images file (a regular file, which
                // `reproduce` can hash); the test images are found beside it.
                if let Some(given) = mnist.dir.take() {
                    mnist.dir = Some(crate::data::mnist::train_images(Some(&given)));
                }
                flags.push(PathFlag::input(
                    "--mnist",
                    PathValue::Optional(&mut mnist.dir, None),
                ));
            }
            flags
        }
        Command::Crosscheck(_)
        | Command::Eval(_)
        | Command::Concat(_)
        | Command::Reproduce(_)
        | Command::Bench(_)
        | Command::Completions(_)
        | Command::Manpage => return None,
    })
}

/// Checks the files of a parsed command before it runs (see [`crate::manifest::check_files`]).
pub fn check_files(command: &mut Command) -> Result<()> {
    let writes_manifest = !matches!(command, Command::Experiment(_));
    match path_flags(command) {
        Some(flags) => crate::manifest::check_files(flags, writes_manifest),
        None => Ok(()),
    }
}

/// The inputs and outputs of the manifest `main` writes beside the first output; `None` for
/// commands that write no file and for `experiment` (which writes its own `manifest.json` into
/// its output folder).
pub fn manifest_files(command: &mut Command) -> Option<(Vec<FileArg>, Vec<FileArg>)> {
    if matches!(command, Command::Experiment(_)) {
        return None;
    }
    path_flags(command).map(crate::manifest::file_args)
}

impl Recorded for Cli {
    fn parse(argv: &[String]) -> Result<Self> {
        Cli::try_parse_from(argv).map_err(|error| {
            anyhow::anyhow!(
                "the recorded command line does not parse: {}",
                crate::usage::one_line(&error)
            )
        })
    }

    fn uses_config(&self) -> bool {
        self.config.is_some()
    }

    fn path_flags(&mut self) -> Option<Vec<PathFlag<'_>>> {
        path_flags(&mut self.command)
    }

    fn run(self) -> Result<String> {
        run(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::Role;

    /// Each leaf command with the least command line that parses, and whether it writes files
    /// (so `reproduce` accepts it). A new command fails `every_path_flag_is_classified` until
    /// it is listed here.
    const LEAVES: [(&str, &[&str], bool); 21] = [
        ("sample", &[], true),
        ("train", &[], true),
        ("score", &["--t", "0.1"], true),
        ("density", &["--t", "0.1"], true),
        ("data generate", &["two-moons"], true),
        ("experiment interpolation", &[], true),
        ("experiment memorization", &[], true),
        ("experiment variance", &[], true),
        ("experiment density", &[], true),
        ("experiment pbm", &[], true),
        ("experiment network-smoothing", &[], true),
        ("experiment effective-bandwidth", &[], true),
        ("data list", &[], false),
        ("data describe", &[], false),
        ("crosscheck", &[], false),
        ("eval", &[], false),
        ("concat", &[], false),
        ("reproduce", &[], false),
        ("bench", &[], false),
        ("completions", &["bash"], false),
        ("manpage", &[], false),
    ];

    /// Every leaf command path with its path-valued arguments (long flags, or ids of
    /// positionals), from the CLI's own definition.
    fn path_arguments() -> Vec<(String, Vec<(String, bool)>)> {
        fn walk(command: &clap::Command, path: &str, out: &mut Vec<(String, Vec<(String, bool)>)>) {
            if command.has_subcommands() {
                for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
                    let name = sub.get_name();
                    let path = if path.is_empty() {
                        name.to_owned()
                    } else {
                        format!("{path} {name}")
                    };
                    walk(sub, &path, out);
                }
                return;
            }
            let path_type = clap::builder::ValueParser::path_buf().type_id();
            let flags = command
                .get_arguments()
                .filter(|a| a.get_value_parser().type_id() == path_type)
                .filter(|a| a.get_id() != "config")
                .map(|a| match a.get_long() {
                    Some(long) => (format!("--{long}"), true),
                    None => (a.get_id().to_string(), false),
                })
                .collect();
            out.push((path.to_owned(), flags));
        }
        let mut command = Cli::command();
        command.build();
        let mut out = Vec::new();
        walk(&command, "", &mut out);
        out
    }

    #[test]
    fn every_path_flag_is_classified() {
        let leaves = path_arguments();
        // Without `train`: no `train` command and no experiments that train networks.
        let expected = LEAVES.len() - 3 * usize::from(!cfg!(feature = "train"));
        assert_eq!(leaves.len(), expected, "{leaves:?}");
        let mut checked = 0;
        for (path, flags) in leaves {
            let (_, least, writes) = LEAVES
                .iter()
                .find(|(name, _, _)| *name == path)
                .unwrap_or_else(|| panic!("`{path}` is not classified in LEAVES"));
            let mut argv: Vec<String> = std::iter::once("smoothscore")
                .chain(path.split(' '))
                .chain(least.iter().copied())
                .map(str::to_owned)
                .collect();
            for (index, (flag, long)) in flags.iter().enumerate() {
                if *long {
                    argv.push(flag.clone());
                }
                argv.push(format!("p{index}.csv"));
            }
            let mut cli = Cli::try_parse_from(&argv)
                .unwrap_or_else(|e| panic!("{argv:?} does not parse: {e}"));
            match path_flags(&mut cli.command) {
                Some(classified) => {
                    assert!(writes, "`{path}` writes no file but is accepted");
                    let mut seen: Vec<String> = classified
                        .iter()
                        .filter(|f| f.value.is_given())
                        .map(|f| f.flag.to_owned())
                        .collect();
                    let mut expected: Vec<String> =
                        flags.iter().map(|(flag, _)| flag.clone()).collect();
                    seen.sort();
                    expected.sort();
                    assert_eq!(seen, expected, "path flags of `{path}`");
                    assert!(classified.iter().any(|f| f.role != Role::Input));
                }
                None => assert!(!writes, "`{path}` writes files but is refused"),
            }
            checked += 1;
        }
        assert_eq!(checked, expected);
    }

    #[test]
    fn completions_and_man_page_name_every_command() {
        let bash = crate::commands::completions::run(
            &crate::commands::completions::CompletionsArgs {
                shell: clap_complete::Shell::Bash,
            },
            Cli::command(),
        )
        .unwrap();
        let man = crate::commands::manpage::run(Cli::command()).unwrap();
        for command in Cli::command().get_subcommands() {
            let name = command.get_name();
            assert!(bash.contains(name), "bash completion lacks {name}");
            assert!(man.contains(name), "man page lacks {name}");
        }
        assert!(man.starts_with(".ie") || man.contains(".TH"), "not roff");
    }
}
