//! `concord alerts`: list the member's alerts (newest first), acknowledge
//! them, scan or deliver now, and see the dead-letter list.

use anyhow::Result;
use concord_alert as alert;

use super::Node;
use crate::Outcome;
use crate::config::Global;

#[derive(clap::Args)]
pub struct Args {
    /// Only alerts not acknowledged yet.
    #[arg(long)]
    open: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(clap::Subcommand)]
pub enum Command {
    /// Acknowledge an alert.
    Ack {
        /// The alert's id (from `concord alerts`).
        id: String,
    },
    /// Look at what arrived now and raise alerts (sync and serve do it too).
    Scan,
    /// Deliver due webhook and e-mail jobs now (serve does it every second).
    Deliver,
    /// Deliveries given up after their last attempt.
    Dead {
        /// Put them back in the outbox for new attempts.
        #[arg(long)]
        retry: bool,
    },
}

pub fn run(global: &Global, args: Args) -> Result<Outcome> {
    let node = Node::open(global)?;
    let rt = super::runtime()?;
    rt.block_on(async {
        match args.command {
            None => {
                let mut list = alert::list(&node.store).await?;
                list.reverse();
                if args.open {
                    list.retain(|a| !a.acknowledged);
                }
                if global.json {
                    println!("{}", serde_json::to_string(&list)?);
                } else if list.is_empty() {
                    println!("no alerts");
                } else {
                    // In the user's language (LC_ALL, LC_MESSAGES or LANG, as
                    // `fr_FR.UTF-8`), else the English title.
                    let lang = ["LC_ALL", "LC_MESSAGES", "LANG"]
                        .iter()
                        .filter_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
                        .find_map(|v| {
                            concord_console::Lang::from_tag(
                                v.split(['_', '.', '-']).next().unwrap_or(""),
                            )
                        });
                    for a in &list {
                        let said = lang
                            .zip(a.message.as_ref())
                            .and_then(|(l, m)| l.message(&m.key, &m.args));
                        println!(
                            "{} {} {:<20} {}{}",
                            a.id,
                            a.created,
                            a.kind,
                            said.as_deref().unwrap_or(&a.title),
                            if a.acknowledged {
                                " (acknowledged)"
                            } else {
                                ""
                            }
                        );
                    }
                }
            }
            Some(Command::Ack { id }) => {
                let a = alert::acknowledge(&node.store, &id).await?;
                super::print(global, &a, || format!("{id} acknowledged"))?;
            }
            Some(Command::Scan) => {
                let r = alert::scan::run(
                    &node.local(),
                    &node.config.alerts,
                    &node.config.constituency,
                )
                .await?;
                super::print(global, &r, || r.to_string())?;
            }
            Some(Command::Deliver) => {
                let r = alert::deliver::run(
                    &node.store,
                    &node.data_dir,
                    &node
                        .config
                        .alerts_with_secrets(&node.data_dir, &crate::config::env)?,
                )
                .await?;
                super::print(global, &r, || r.to_string())?;
            }
            Some(Command::Dead { retry }) => {
                if retry {
                    let n = alert::deliver::retry_dead(&node.store).await?;
                    let v = serde_json::json!({"requeued": n});
                    super::print(global, &v, || format!("{n} deliveries queued again"))?;
                } else {
                    let list = alert::deliver::dead_letters(&node.store).await?;
                    super::print_list(global, &list, "")?;
                }
            }
        }
        Ok(Outcome::Ok)
    })
}
