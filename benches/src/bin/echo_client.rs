//! The echo load client: the same program for every echo server (benches/net_run.sh).
//!
//! One thread drives `--conns` TCP connections (non-blocking std sockets on `mio`, so the
//! client spends as little CPU per message as it can: it shares the machine with the
//! server). Each connection ping-pongs: it sends one `--size`-byte message, waits until
//! the whole echo is back, records the round-trip time and sends the next, `--msgs` times.
//! A warm-up pass of `--warmup` messages per connection runs first and is not counted.
//!
//! With `--pid`, the server's CPU time is read right before and right after the measured
//! pass, so it covers the messages only (no start-up, no connection set-up): utime + stime
//! from `/proc/PID/stat` (all threads; 10 ms ticks, reported as `server_cpu_stat_s`) and
//! the nanosecond on-CPU counters of its threads (`/proc/PID/task/*/schedstat`), which
//! agree with it to a tick and give `server_cpu_s` and the CPU µs per message.
//!
//! Prints one JSON line: messages/s, p50/p99 round trip in µs, the server's CPU µs per
//! message and the client's own CPU (to show when the client is the bottleneck).
//!
//! ```sh
//! echo_client --addr 127.0.0.1:7000 --conns 64 --size 64 --msgs 3000 --pid 1234
//! ```

use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};

struct Args {
    addr: SocketAddr,
    conns: usize,
    size: usize,
    msgs: u32,
    warmup: u32,
    pid: Option<u32>,
    timeout: Duration,
}

fn parse_args() -> Args {
    let mut a = Args {
        addr: "127.0.0.1:7000".parse().unwrap(),
        conns: 1,
        size: 64,
        msgs: 1000,
        warmup: 10,
        pid: None,
        timeout: Duration::from_secs(60),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let v = it
            .next()
            .unwrap_or_else(|| die(&format!("{flag} needs a value")));
        match flag.as_str() {
            "--addr" => a.addr = v.parse().unwrap_or_else(|_| die("bad --addr")),
            "--conns" => a.conns = num(&flag, &v),
            "--size" => a.size = num(&flag, &v),
            "--msgs" => a.msgs = num(&flag, &v),
            "--warmup" => a.warmup = num(&flag, &v),
            "--pid" => a.pid = Some(num(&flag, &v)),
            "--timeout" => a.timeout = Duration::from_secs(num(&flag, &v)),
            _ => die(&format!("unknown flag {flag}")),
        }
    }
    a
}

fn num<T: std::str::FromStr>(flag: &str, v: &str) -> T {
    v.parse()
        .unwrap_or_else(|_| die(&format!("bad value for {flag}: {v}")))
}

fn die(msg: &str) -> ! {
    eprintln!("echo_client: {msg}");
    std::process::exit(2)
}

struct Conn {
    stream: TcpStream,
    sent: usize,
    received: usize,
    left: u32,
    started: Instant,
}

/// Connects, retrying for up to 10 s while the server starts.
fn connect(addr: SocketAddr) -> std::net::TcpStream {
    let give_up = Instant::now() + Duration::from_secs(10);
    loop {
        match std::net::TcpStream::connect(addr) {
            Ok(s) => return s,
            Err(e) if Instant::now() < give_up => {
                let _ = e;
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => die(&format!("connect {addr}: {e}")),
        }
    }
}

/// Sends as much of the current message as the socket takes.
fn send(c: &mut Conn, msg: &[u8]) -> io::Result<()> {
    while c.sent < msg.len() {
        match c.stream.write(&msg[c.sent..]) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => c.sent += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

fn start(c: &mut Conn, msg: &[u8]) -> io::Result<()> {
    c.sent = 0;
    c.received = 0;
    c.started = Instant::now();
    send(c, msg)
}

/// One pass: every connection does `count` round trips. Returns the round-trip times.
fn pass(
    poll: &mut Poll,
    conns: &mut [Conn],
    msg: &[u8],
    count: u32,
    deadline: Instant,
) -> io::Result<Vec<u64>> {
    let mut rtts = Vec::with_capacity(conns.len() * count as usize);
    if count == 0 {
        return Ok(rtts);
    }
    let mut scratch = vec![0u8; 64 * 1024];
    let mut busy = conns.len();
    for c in conns.iter_mut() {
        c.left = count;
        start(c, msg)?;
    }
    let mut events = Events::with_capacity(1024);
    while busy > 0 {
        if Instant::now() > deadline {
            return Err(io::Error::new(io::ErrorKind::TimedOut, "run timed out"));
        }
        poll.poll(&mut events, Some(Duration::from_millis(500)))?;
        for ev in events.iter() {
            let c = &mut conns[ev.token().0];
            if c.left == 0 {
                continue;
            }
            if ev.is_writable() && c.sent < msg.len() {
                send(c, msg)?;
            }
            if !ev.is_readable() {
                continue;
            }
            loop {
                match c.stream.read(&mut scratch) {
                    Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
                    Ok(n) => {
                        c.received += n;
                        if c.received > msg.len() {
                            return Err(io::Error::other("echoed more than was sent"));
                        }
                        if c.received == msg.len() {
                            rtts.push(c.started.elapsed().as_nanos() as u64);
                            c.left -= 1;
                            if c.left == 0 {
                                busy -= 1;
                                break;
                            }
                            start(c, msg)?;
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
        }
    }
    Ok(rtts)
}

/// utime + stime of every thread of `pid`, in seconds.
fn proc_cpu(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .unwrap_or_else(|e| die(&format!("/proc/{pid}/stat: {e}")));
    // Fields after the command name (which may contain spaces) start at field 3.
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap();
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    ticks as f64 / hz
}

/// On-CPU time of every live thread of `pid` in seconds, from the nanosecond counters of
/// `/proc/PID/task/*/schedstat` (the stat ticks are 10 ms: too coarse for short runs).
/// None of the servers starts or ends a thread during the measured pass, so this is the
/// same quantity as `proc_cpu`, finer.
fn proc_cpu_ns(pid: u32) -> Option<f64> {
    let mut ns = 0u64;
    for t in std::fs::read_dir(format!("/proc/{pid}/task")).ok()? {
        let s = std::fs::read_to_string(t.ok()?.path().join("schedstat")).ok()?;
        ns += s.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(ns as f64 / 1e9)
}

/// This process's own CPU time, in seconds.
fn self_cpu() -> f64 {
    // SAFETY: getrusage writes into the zeroed struct we pass.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: as above; RUSAGE_SELF is always valid.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i] as f64 / 1e3
}

fn main() {
    let a = parse_args();
    let deadline = Instant::now() + a.timeout;
    let msg: Vec<u8> = (0..a.size).map(|i| (i % 251) as u8).collect();
    let mut poll = Poll::new().unwrap();
    let mut conns = Vec::with_capacity(a.conns);
    for i in 0..a.conns {
        let s = connect(a.addr);
        s.set_nodelay(true).unwrap();
        s.set_nonblocking(true).unwrap();
        let mut stream = TcpStream::from_std(s);
        poll.registry()
            .register(
                &mut stream,
                Token(i),
                Interest::READABLE | Interest::WRITABLE,
            )
            .unwrap();
        conns.push(Conn {
            stream,
            sent: 0,
            received: 0,
            left: 0,
            started: Instant::now(),
        });
    }
    let run = |poll: &mut Poll, conns: &mut [Conn], n| {
        pass(poll, conns, &msg, n, deadline).unwrap_or_else(|e| die(&format!("echo: {e}")))
    };
    run(&mut poll, &mut conns, a.warmup);

    let cpu0 = a.pid.map(proc_cpu);
    let ns0 = a.pid.and_then(proc_cpu_ns);
    let me0 = self_cpu();
    let t0 = Instant::now();
    let mut rtts = run(&mut poll, &mut conns, a.msgs);
    let secs = t0.elapsed().as_secs_f64();
    let me = self_cpu() - me0;
    let ns1 = a.pid.and_then(proc_cpu_ns);
    let stat_cpu = a.pid.map(|p| proc_cpu(p) - cpu0.unwrap());
    let server_cpu = match (ns0, ns1) {
        (Some(a), Some(b)) if b > a => Some(b - a),
        _ => stat_cpu,
    };

    rtts.sort_unstable();
    let n = rtts.len() as f64;
    let cpu_field = |v: Option<f64>, scale: f64| match v {
        Some(v) => format!("{:.3}", v * scale),
        None => "null".into(),
    };
    println!(
        "{{\"conns\": {}, \"size\": {}, \"msgs\": {}, \"secs\": {:.4}, \"msg_per_s\": {:.0}, \
         \"p50_us\": {:.1}, \"p99_us\": {:.1}, \"server_cpu_s\": {}, \
         \"server_cpu_us_per_msg\": {}, \"server_cpu_stat_s\": {}, \"client_cpu_s\": {:.3}}}",
        a.conns,
        a.size,
        rtts.len(),
        secs,
        n / secs,
        percentile(&rtts, 0.50),
        percentile(&rtts, 0.99),
        cpu_field(server_cpu, 1.0),
        cpu_field(server_cpu, 1e6 / n),
        cpu_field(stat_cpu, 1.0),
        me,
    );
}
