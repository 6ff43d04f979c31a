//! `contin console`: Terraform's console. Each line is an expression
//! evaluated against the configuration and the recorded state
//! (`contin_engine::console`). At a terminal every answer is printed after a
//! `> ` prompt and errors do not end the session; with piped input
//! (Terraform's `modePiped`) only the last answer is printed and the first
//! error ends the run with exit code 1.

use super::{engine_err, Ctx};
use crate::args::VarArgs;
use crate::events::LineReporter;
use contin_engine::console::{ConsoleAnswer, MAX_CONSOLE_LINE};
use contin_engine::{Workspace, WorkspaceOptions};
use std::io::{BufRead, IsTerminal, Read, Write};
use std::sync::Arc;

pub async fn console(ctx: &Ctx, vars: &VarArgs) -> anyhow::Result<i32> {
    let opts = WorkspaceOptions {
        var_files: vars.var_files.clone(),
        vars: vars.vars.clone(),
        env_vars: super::env_vars(),
        events: Arc::new(LineReporter::new(ctx.ui, false)),
        console: true,
        ..WorkspaceOptions::default()
    };
    let ws = Workspace::open(&ctx.dir, opts).await.map_err(engine_err)?;
    let session = ws.console().await.map_err(engine_err)?;
    let interactive = std::io::stdin().is_terminal();
    let mut input = std::io::stdin().lock();
    let mut last = String::new();
    loop {
        if interactive {
            print!("> ");
            std::io::stdout().flush()?;
        }
        let Some(line) = read_line(&mut input)? else { break };
        match session.handle(&line) {
            Ok(ConsoleAnswer::Exit) => return Ok(0),
            Ok(ConsoleAnswer::Text(text)) if interactive => {
                if !text.is_empty() {
                    println!("{text}\n");
                }
            }
            Ok(ConsoleAnswer::Text(text)) => last = text,
            Err((diags, sources)) => {
                eprint!("{}", crate::diagnostics::render_diagnostics(&diags, &sources, ctx.ui.color));
                if !interactive {
                    return Ok(1);
                }
            }
        }
    }
    if interactive {
        println!();
    } else {
        println!("{last}");
    }
    Ok(0)
}

/// One line of input without its line end; `None` at the end of input. A
/// line longer than [`MAX_CONSOLE_LINE`] is read no further than that and
/// handed on (the console refuses it with the limit named).
fn read_line(input: &mut impl BufRead) -> std::io::Result<Option<String>> {
    let mut buf = Vec::new();
    let limit = u64::try_from(MAX_CONSOLE_LINE).unwrap_or(u64::MAX) + 1;
    let n = input.by_ref().take(limit).read_until(b'\n', &mut buf)?;
    if n == 0 {
        return Ok(None);
    }
    if buf.last() == Some(&b'\n') {
        buf.pop();
    } else if buf.len() > MAX_CONSOLE_LINE {
        // Skip the rest of the over-long line.
        let mut rest = Vec::new();
        loop {
            rest.clear();
            let k = input.by_ref().take(1 << 16).read_until(b'\n', &mut rest)?;
            if k == 0 || rest.last() == Some(&b'\n') {
                break;
            }
        }
    }
    if buf.last() == Some(&b'\r') {
        buf.pop();
    }
    Ok(Some(String::from_utf8_lossy(&buf).into_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_bounded() {
        let long = "x".repeat(MAX_CONSOLE_LINE + 10);
        let text = format!("1\r\n{long}\n2");
        let mut r = std::io::Cursor::new(text.into_bytes());
        assert_eq!(read_line(&mut r).ok().flatten().as_deref(), Some("1"));
        let second = read_line(&mut r).ok().flatten().unwrap_or_default();
        assert_eq!(second.len(), MAX_CONSOLE_LINE + 1);
        assert_eq!(read_line(&mut r).ok().flatten().as_deref(), Some("2"));
        assert_eq!(read_line(&mut r).ok().flatten(), None);
    }
}
