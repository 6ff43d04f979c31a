//! `contin console`: expressions evaluated against the configuration and the
//! recorded state, answered the way `terraform console` prints them.
//!
//! The scope is the root module's: input variables (as `plan` resolves
//! them), locals, module outputs (`module.x.y`), and resources and data
//! sources as the state records them; a resource with no instance in the
//! state evaluates as `apply` would see it before creating it. The state is
//! read without the lock (nothing is written); providers are not configured
//! and no data source is read.

use crate::{EngineError, Result, Workspace};
use contin_planner::{ConfigEvaluator, ValuesByAddress};
use contin_types::{Diagnostic, Diagnostics, ResourceAddr, SourceLoc, SourceMap, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The file name console input is reported under (Terraform's).
pub const CONSOLE_INPUT: &str = "<console-input>";

/// Longest line evaluated (bytes): beyond it the line is refused, not parsed.
pub const MAX_CONSOLE_LINE: usize = 1 << 20;

/// One console session: the evaluator over the configuration and the
/// state's values, built once.
pub struct Console {
    evaluator: ConfigEvaluator,
    /// The state's instances with their sensitive marks.
    values: BTreeMap<ResourceAddr, Value>,
}

/// What one line gave: text to print, or the request to end the session.
#[derive(Debug, PartialEq)]
pub enum ConsoleAnswer {
    Text(String),
    Exit,
}

const HELP: &str = "The Terraform console allows you to experiment with Terraform interpolations.
You may access resources in the state (if you have one) just as you would
from a configuration. For example: \"aws_instance.foo.id\" would evaluate
to the ID of \"aws_instance.foo\" if it exists in your state.

Type in the interpolation to test and hit <enter> to see the result.

To exit the console, type \"exit\" and hit <enter>, or use Control-C or
Control-D.";

impl Workspace {
    /// Loads the state (not locked) and prepares a console session.
    pub async fn console(&self) -> Result<Console> {
        let state = self.load_state().await?;
        let values = state
            .iter()
            .flat_map(|s| s.resources.iter())
            .map(|(a, r)| (a.clone(), Value::from_json(&r.attributes).mark_paths(&r.sensitive_paths)))
            .collect();
        let io: Arc<dyn contin_planner::PlanIo> = Arc::new(self.io());
        let evaluator = ConfigEvaluator::new(self.config.clone(), (*self.variables).clone(), (*self.schemas).clone(), io)
            .map_err(|d| EngineError::diags(d, &self.config.sources))?;
        Ok(Console { evaluator, values })
    }
}

impl Console {
    /// Answers one line as Terraform's console does: blank → nothing,
    /// `exit`, `help`, else an expression. Errors come with the line as
    /// their source (`<console-input>`).
    pub fn handle(&self, line: &str) -> std::result::Result<ConsoleAnswer, (Diagnostics, SourceMap)> {
        let line = line.trim();
        match line {
            "" => return Ok(ConsoleAnswer::Text(String::new())),
            "exit" => return Ok(ConsoleAnswer::Exit),
            "help" => return Ok(ConsoleAnswer::Text(HELP.to_string())),
            _ => {}
        }
        let mut sources = SourceMap::default();
        if line.len() > MAX_CONSOLE_LINE {
            let d = Diagnostic::error("Input too long")
                .with_detail(format!("A console line is at most {MAX_CONSOLE_LINE} bytes (MAX_CONSOLE_LINE); this one has {}.", line.len()));
            return Err((d.into(), sources));
        }
        sources.add(CONSOLE_INPUT, line);
        let fail = |d: Diagnostics| (d, sources.clone());
        let mut expr = contin_eval::parse_expr(line, CONSOLE_INPUT).map_err(|d| fail(d.into()))?;
        contin_config::modules::rewrite_root_expr(&mut expr);
        // The console-only `type(EXPR)`: the argument's type, printed.
        if let Some(arg) = contin_eval::console::type_call_argument(&expr) {
            let (v, shape) = self.evaluator.eval_console(&arg, &ValuesByAddress(&self.values)).map_err(fail)?;
            return Ok(ConsoleAnswer::Text(contin_eval::console::type_string(&v, &shape)));
        }
        let (v, shape) = self.evaluator.eval_console(&expr, &ValuesByAddress(&self.values)).map_err(|d| fail(type_misuse(d, line)))?;
        Ok(ConsoleAnswer::Text(contin_eval::console::format_result(&expr, &v, &shape)))
    }
}

/// `type()` inside an expression: Terraform's message for it instead of
/// "unknown function" (the function exists only at the console's top level).
fn type_misuse(diags: Diagnostics, line: &str) -> Diagnostics {
    let unknown_type = |d: &Diagnostic| d.summary == "Call to unknown function" && d.detail.starts_with("There is no function named \"type\"");
    if !diags.iter().any(unknown_type) {
        return diags;
    }
    Diagnostic::error("Invalid use of type function")
        .with_detail("The console-only \"type\" function cannot be used as part of an expression.")
        .at(SourceLoc::new(CONSOLE_INPUT, 0..line.len()))
        .into()
}
