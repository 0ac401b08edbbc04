//! The interleaved benchmark runner: the nine workloads of docs/design.md §6 on this
//! runtime (default and, where it applies, eager task factory), tokio (2 workers) and
//! async-executor (2 threads), alternated round by round in one process.
//!
//! ```text
//! cargo run --release -p asyncio-benches --bin interleaved -- \
//!     [--rounds N] [--workload NAME]... [--markdown] [--quick]
//! ```
//!
//! **A round** measures every selected workload once on every contender: for each
//! contender, in an order rotated by one place from round to round (so none always runs
//! right after the same other), a fresh runtime is built, runs the warm-up iterations
//! (discarded) and the inner iterations, and is dropped before the next one starts. The
//! round's figure for a contender is the median of its inner iterations, in the
//! workload's unit. Rounds are the outer loop, so each workload's rounds are spread over
//! the whole run rather than bunched into one stretch of it.
//!
//! **Ratios** are taken per round, asyncio's figure ÷ the peer's of the same round, and
//! reported as the median of the per-round ratios with their range (min–max):
//! ÷ tokio, ÷ async-executor, ÷ best peer (the better of the two *in that round*) and,
//! where the eager factory applies, eager ÷ best peer. Below 1 is faster. Absolute
//! figures are the medians of the per-round figures.
//!
//! Progress and each round's figures go to stderr; the summary (and with `--markdown`
//! the table for benches/README.md) to stdout.

use std::collections::HashMap;
use std::process::ExitCode;
use std::time::Instant;

use asyncio_benches::contender::Contender;
use asyncio_benches::stats::{format_figure, median, Spread};
use asyncio_benches::workloads::Workload;

/// Rounds of a full run (issue 18's reference measurement).
const DEFAULT_ROUNDS: usize = 9;
/// Rounds of a `--quick` run.
const QUICK_ROUNDS: usize = 2;
/// Discarded iterations on each fresh runtime before the measured ones.
const WARMUP: usize = 2;

/// How long a run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Length {
    /// The measurement: every workload's full inner-iteration count.
    Full,
    /// A smoke check (seconds): a tenth of the inner iterations, one warm-up.
    Quick,
}

impl Length {
    fn inner(self, w: Workload) -> usize {
        match self {
            Length::Full => w.inner_iterations(),
            Length::Quick => (w.inner_iterations() / 10).max(3),
        }
    }

    fn warmup(self) -> usize {
        match self {
            Length::Full => WARMUP,
            Length::Quick => 1,
        }
    }
}

/// What the command line asked for.
struct Options {
    rounds: usize,
    workloads: Vec<Workload>,
    markdown: bool,
    length: Length,
}

const USAGE: &str = "usage: interleaved [--rounds N] [--workload NAME]... [--markdown] [--quick]

  --rounds N       rounds (default 9; 2 with --quick)
  --workload NAME  only this workload (repeatable); default all nine:
                   spawn_many_local spawn_many_remote yield_many ping_pong chained_spawn
                   sync_complete cancel_storm threadsafe_roundtrip all_tasks_under_load
  --markdown       also print the table for benches/README.md
  --quick          smoke check: 2 rounds, a tenth of the inner iterations";

fn parse_args() -> Result<Options, String> {
    let mut rounds = None;
    let mut workloads = Vec::new();
    let mut markdown = false;
    let mut length = Length::Full;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--rounds" => {
                let n = args.next().ok_or("--rounds needs a number")?;
                let n: usize = n
                    .parse()
                    .map_err(|_| format!("--rounds {n}: not a number"))?;
                if n == 0 {
                    return Err("--rounds must be at least 1".into());
                }
                rounds = Some(n);
            }
            "--workload" => {
                let name = args.next().ok_or("--workload needs a name")?;
                let w = Workload::from_name(&name)
                    .ok_or_else(|| format!("unknown workload {name:?}"))?;
                if !workloads.contains(&w) {
                    workloads.push(w);
                }
            }
            "--markdown" => markdown = true,
            "--quick" => length = Length::Quick,
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    if workloads.is_empty() {
        workloads = Workload::ALL.to_vec();
    } else {
        // The README's order, whatever the command line's.
        workloads.sort_by_key(|w| Workload::ALL.iter().position(|x| x == w));
    }
    let rounds = rounds.unwrap_or(match length {
        Length::Full => DEFAULT_ROUNDS,
        Length::Quick => QUICK_ROUNDS,
    });
    Ok(Options {
        rounds,
        workloads,
        markdown,
        length,
    })
}

/// One workload's figures in one round, per contender (median of the inner iterations,
/// in the workload's unit).
type RoundFigures = HashMap<Contender, f64>;

/// The ratios of one round (`None` where a side is missing).
struct RoundRatios {
    tokio: Option<f64>,
    async_executor: Option<f64>,
    best_peer: Option<f64>,
    eager_best_peer: Option<f64>,
}

impl RoundRatios {
    fn of(fig: &RoundFigures) -> RoundRatios {
        let get = |c| fig.get(&c).copied();
        let ours = get(Contender::Asyncio);
        let eager = get(Contender::AsyncioEager);
        let tokio = get(Contender::Tokio);
        let ae = get(Contender::AsyncExecutor);
        let best = match (tokio, ae) {
            (Some(t), Some(a)) => Some(t.min(a)),
            _ => None,
        };
        let div = |a: Option<f64>, b: Option<f64>| Some(a? / b?);
        RoundRatios {
            tokio: div(ours, tokio),
            async_executor: div(ours, ae),
            best_peer: div(ours, best),
            eager_best_peer: div(eager, best),
        }
    }
}

/// Everything measured for one workload.
struct Results {
    workload: Workload,
    rounds: Vec<RoundFigures>,
}

impl Results {
    /// The median over rounds of contender `c`'s figure.
    fn figure(&self, c: Contender) -> Option<f64> {
        let v: Vec<f64> = self
            .rounds
            .iter()
            .filter_map(|r| r.get(&c).copied())
            .collect();
        (!v.is_empty()).then(|| median(&v))
    }

    /// The per-round values of one ratio.
    fn ratios(&self, pick: impl Fn(&RoundRatios) -> Option<f64>) -> Vec<f64> {
        self.rounds
            .iter()
            .filter_map(|r| pick(&RoundRatios::of(r)))
            .collect()
    }
}

/// The ratios reported, with their labels.
type RatioPick = fn(&RoundRatios) -> Option<f64>;
const RATIOS: [(&str, RatioPick); 4] = [
    ("asyncio ÷ tokio", |r| r.tokio),
    ("asyncio ÷ async-executor", |r| r.async_executor),
    ("asyncio ÷ best peer", |r| r.best_peer),
    ("eager ÷ best peer", |r| r.eager_best_peer),
];

/// Measures one workload on every contender for round `round`.
fn run_round(w: Workload, round: usize, length: Length) -> RoundFigures {
    let contenders = w.contenders();
    let n = contenders.len();
    let units = w.units_per_iteration() as f64;
    let mut figures = RoundFigures::new();
    for k in 0..n {
        let c = contenders[(round + k) % n];
        let instance = c.start();
        let times = w.measure(&instance, length.warmup(), length.inner(w));
        drop(instance);
        let per_unit: Vec<f64> = times.iter().map(|d| d.as_nanos() as f64 / units).collect();
        figures.insert(c, median(&per_unit));
    }
    figures
}

fn print_round(w: Workload, fig: &RoundFigures) {
    let mut line = format!("  {:<22}", w.name());
    for c in w.contenders() {
        line += &format!(" {} {:>9}", c.name(), format_figure(fig[&c]));
    }
    let r = RoundRatios::of(fig);
    for (label, pick) in RATIOS {
        if let Some(v) = pick(&r) {
            let short = label.trim_start_matches("asyncio ");
            line += &format!("  {short} {v:.2}");
        }
    }
    eprintln!("{line}");
}

fn print_summary(res: &Results) {
    let w = res.workload;
    println!("{} ({}), {} rounds", w.name(), w.unit(), res.rounds.len());
    let mut medians = String::from("  median figure:");
    for c in w.contenders() {
        if let Some(v) = res.figure(c) {
            medians += &format!("  {} {}", c.name(), format_figure(v));
        }
    }
    println!("{medians}");
    for (label, pick) in RATIOS {
        let v = res.ratios(pick);
        if let Some(s) = Spread::of(&v) {
            let per_round: Vec<String> = v.iter().map(|x| format!("{x:.2}")).collect();
            println!("  {label:<26} {s}   per round: {}", per_round.join(" "));
        }
    }
    println!();
}

fn print_markdown(results: &[Results], opts: &Options) {
    println!(
        "| workload | unit | asyncio | asyncio eager | tokio | async-executor \
         | ÷ tokio | ÷ async-executor | ÷ best peer | eager ÷ best peer |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for res in results {
        let w = res.workload;
        let fig = |c| res.figure(c).map(format_figure);
        let peer = |c: Contender| {
            if w == Workload::AllTasksUnderLoad {
                "n/a".to_string()
            } else {
                fig(c).unwrap_or_default()
            }
        };
        let ratio = |pick: RatioPick, absent: &str| {
            Spread::of(&res.ratios(pick)).map_or(absent.to_string(), |s| s.to_string())
        };
        let na = if w == Workload::AllTasksUnderLoad {
            "n/a"
        } else {
            ""
        };
        let eager_absent = if w.eager_applies() { "" } else { "—" };
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            w.name(),
            w.unit(),
            fig(Contender::Asyncio).unwrap_or_default(),
            fig(Contender::AsyncioEager).unwrap_or_else(|| eager_absent.to_string()),
            peer(Contender::Tokio),
            peer(Contender::AsyncExecutor),
            ratio(RATIOS[0].1, na),
            ratio(RATIOS[1].1, na),
            ratio(RATIOS[2].1, na),
            ratio(RATIOS[3].1, if na.is_empty() { eager_absent } else { na }),
        );
    }
    println!();
    println!(
        "{} rounds{}; figures are medians of the per-round figures, ratios medians of the \
         per-round ratios (min–max).",
        opts.rounds,
        match opts.length {
            Length::Full => "",
            Length::Quick => " (--quick: not a measurement)",
        }
    );
}

fn main() -> ExitCode {
    let opts = match parse_args() {
        Ok(o) => o,
        Err(msg) => {
            if !msg.is_empty() {
                eprintln!("interleaved: {msg}");
            }
            eprintln!("{USAGE}");
            return if msg.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            };
        }
    };
    let started = Instant::now();
    let mut results: Vec<Results> = opts
        .workloads
        .iter()
        .map(|&workload| Results {
            workload,
            rounds: Vec::new(),
        })
        .collect();
    for round in 0..opts.rounds {
        eprintln!(
            "round {}/{} ({:.0} s)",
            round + 1,
            opts.rounds,
            started.elapsed().as_secs_f64()
        );
        for res in &mut results {
            let fig = run_round(res.workload, round, opts.length);
            print_round(res.workload, &fig);
            res.rounds.push(fig);
        }
    }
    eprintln!("done in {:.0} s\n", started.elapsed().as_secs_f64());
    for res in &results {
        print_summary(res);
    }
    if opts.markdown {
        print_markdown(&results, &opts);
    }
    ExitCode::SUCCESS
}
