//! `just demo [--crowd N [--rebuild]] [--hot-share F] [--shards S] [--port P] [--exit] [--lan]`
//!
//! Starts the whole vote system on the local backend and prints the pages'
//! address. With `--crowd N`, N simulated votes (some fans vote twice) go
//! through the HTTP API, and the final counts are checked
//! against each fan's first vote; with `--rebuild` they are then counted
//! wrongly on purpose and rebuilt from the archive (day 12). `just burst` is the race's end: many fans
//! at once, most of them for one driver, on a stream of several shards.
//! Ctrl-C stops everything.

use std::time::Duration;

use anyhow::{Result, bail};
use clap::Parser;
use pitlane_demo::{System, crowd};

#[derive(Parser)]
#[command(about = "The Driver of the Day vote system, on the local backend")]
struct Args {
    /// Send this many simulated votes through the API.
    #[arg(long)]
    crowd: Option<usize>,
    /// The gateway's port (0 picks a free one).
    #[arg(long, default_value_t = 8765)]
    port: u16,
    /// A live vote in a room: listen on this machine's address on the local
    /// network, show the vote page as a QR code, throttle each phone.
    #[arg(long)]
    lan: bool,
    /// With --lan: the address to listen on, when the one found is not the
    /// room's network (a second adapter, a VPN).
    #[arg(long, requires = "lan")]
    lan_address: Option<std::net::IpAddr>,
    /// Votes in flight at once.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Exit after the crowd instead of serving the pages until Ctrl-C.
    #[arg(long)]
    exit: bool,
    /// With --crowd: then count wrongly on purpose (every count doubled),
    /// empty the counts and rebuild them from the S3 archive with the
    /// replay state machine (day 12), and check them again.
    #[arg(long, requires = "crowd")]
    rebuild: bool,
    /// This share of the crowd's votes (0 to 1) goes to one driver.
    #[arg(long)]
    hot_share: Option<f64>,
    /// Shards of the vote stream.
    #[arg(long, default_value_t = 2)]
    shards: i32,
}

#[tokio::main]
async fn main() -> Result<()> {
    pitlane::telemetry::init();
    let args = Args::parse();
    if std::env::var_os("AWS_ENDPOINT_URL_KINESIS").is_none() {
        bail!("the demo runs on the local backend only: start it with `just demo`");
    }
    // The checkout the demo runs in, found from where it runs: a demo built
    // in one folder never serves another's pages.
    let root = pitlane_layout::workspace_root()?;
    let ip = match (args.lan, args.lan_address) {
        (false, _) => std::net::Ipv4Addr::LOCALHOST.into(),
        (true, Some(address)) => pitlane_demo::lan::reachable(address)?,
        (true, None) => pitlane_demo::lan::lan_address()?,
    };
    let system = System::start_on(&root, ip, args.port, args.shards, args.lan).await?;
    if args.lan {
        let vote = format!("{}/vote.html", system.url);
        println!("{}", pitlane_demo::lan::qr_text(&vote));
        println!("Phones on this network: scan the code, or open {vote}");
        println!("Projector: {}/dashboard.html?projector", system.url);
        println!(
            "(Nothing answers? The network may keep devices apart, as guest Wi-Fi often does,"
        );
        println!(
            " or a firewall may refuse port {}: see the book's «Running a live vote».)\n",
            system.url.rsplit(':').next().unwrap_or_default()
        );
    }
    println!("Driver of the Day is open:");
    println!("  vote:      {}/vote.html", system.url);
    println!("  dashboard: {}/dashboard.html", system.url);
    println!(
        "  stream {}, tables {}, {} and {}",
        system.names.stream,
        system.names.tables.votes,
        system.names.tables.results,
        system.names.tables.dead_letters
    );

    let mut equal = true;
    if let Some(count) = args.crowd {
        match args.hot_share {
            Some(share) => println!(
                "\nThe race ends: {count} votes at once, {:.0}% for one driver, {} shards (some fans vote twice):",
                share * 100.0,
                args.shards
            ),
            None => println!("\nA crowd of fans votes ({count} votes; some fans vote twice):"),
        }
        let votes = crowd::crowd_votes(count, args.hot_share, 2026);
        let report = crowd::send_votes(&system.url, votes, args.concurrency).await;
        system.wait_for(report.accepted as u64, Duration::from_secs(120)).await?;
        let counted = system.counts().await?;
        let total: u64 = counted.values().sum();
        let fans = crowd::fans(&report.expected);
        let differing = crowd::differences(&report.expected, &counted);
        equal = differing.is_empty();
        println!("  votes sent:          {}", report.sent);
        println!("  accepted (202):      {}", report.accepted);
        println!("  refused:             {}", report.refused);
        println!("  throttled or failed (429, 5xx), sent again: {}", report.throttled);
        println!("  duplicates rejected: {}", report.accepted as u64 - total);
        println!("  counted:             {total} (distinct fans: {fans})");
        println!(
            "  counts equal:        {}",
            if equal { "yes".to_owned() } else { format!("NO: {differing:?}") }
        );
        let (lost, doubled) = crowd::lost_and_doubled(&report.expected, &counted);
        println!("  votes lost:          {lost}");
        println!("  votes counted twice: {doubled}");
        let esm = system.mapping_report();
        println!(
            "  largest iterator age: {:.1} s (how far behind the counts fell at worst)",
            esm.max_iterator_age_ms as f64 / 1000.0
        );
        println!(
            "  throughput:          {:.0} votes/s over HTTP ({:.1} s)",
            report.sent as f64 / report.elapsed.as_secs_f64(),
            report.elapsed.as_secs_f64()
        );
        let mut top: Vec<_> = counted.iter().collect();
        top.sort_by(|a, b| b.1.cmp(a.1));
        let podium: Vec<String> = top.iter().take(3).map(|(d, v)| format!("{d} {v}")).collect();
        println!("  leading:             {}", podium.join(" · "));

        if args.rebuild {
            println!(
                "\nThe archive (day 12): waiting for the archiver's batches (it gathers up to a minute, as template.yaml sets it)…"
            );
            let records = system.processed();
            system.wait_for_archive(records, Duration::from_secs(180)).await?;
            println!(
                "  records archived:    {} in s3://{}",
                system.archived(),
                system.names.archive
            );
            system.count_wrongly().await?;
            let wrong = system.counts().await?;
            println!(
                "  a bug counts every vote twice: counts equal: {}",
                if crowd::differences(&report.expected, &wrong).is_empty() { "yes" } else { "NO" }
            );
            let started = std::time::Instant::now();
            let output = system.rebuild().await?;
            let rebuilt = system.counts().await?;
            let differing = crowd::differences(&report.expected, &rebuilt);
            equal = differing.is_empty();
            println!(
                "  emptied and replayed by the state machine: {} shards in {:.1} s",
                output.as_array().map_or(0, Vec::len),
                started.elapsed().as_secs_f64()
            );
            println!(
                "  counts equal:        {}",
                if equal { "yes".to_owned() } else { format!("NO: {differing:?}") }
            );
        }
    }

    if !args.exit {
        println!("\nServing until Ctrl-C.");
        tokio::signal::ctrl_c().await?;
        println!("\nStopping.");
    }
    system.stop().await?;
    if !equal {
        bail!("the counts differ from the fans' first votes");
    }
    Ok(())
}
