use resilience::bulkhead;

#[bulkhead(max_concurrent = 2)]
fn log_line(line: &str) {
    println!("{line}");
}

fn main() {
    log_line("x");
}
