//! `daogou catalog`: import products into the store.

use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, Subcommand};
use daogou_catalog::{ColumnMapping, Role};

use crate::runtime::{import_catalog, open_guide, Paths};

#[derive(Debug, Args)]
pub struct CatalogArgs {
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, Subcommand)]
enum Action {
    /// Import a CSV or JSON Lines file (columns inferred from the header; override with
    /// --id, --title, ...).
    Import {
        /// The file.
        file: PathBuf,
        /// Column holding the product id.
        #[arg(long)]
        id: Option<String>,
        /// Column holding the title.
        #[arg(long)]
        title: Option<String>,
        /// Column holding the description.
        #[arg(long)]
        description: Option<String>,
        /// Column holding the brand.
        #[arg(long)]
        brand: Option<String>,
        /// Column holding the category.
        #[arg(long)]
        category: Option<String>,
        /// Column holding the price.
        #[arg(long)]
        price: Option<String>,
    },
}

pub fn run(args: CatalogArgs, paths: &Paths) -> Result<()> {
    let Action::Import {
        file,
        id,
        title,
        description,
        brand,
        category,
        price,
    } = args.action;
    let mut mapping = ColumnMapping::default();
    for (role, column) in [
        (Role::Id, id),
        (Role::Title, title),
        (Role::Description, description),
        (Role::Brand, brand),
        (Role::Category, category),
        (Role::Price, price),
    ] {
        if let Some(column) = column {
            mapping = mapping.with(role, column);
        }
    }
    let mut guide = open_guide(paths)?;
    let report = import_catalog(&mut guide, &file, &mapping)?;
    for issue in &report.skipped {
        eprintln!(
            "skipped {} line {}: {}",
            file.display(),
            issue.line,
            issue.reason
        );
    }
    for issue in &report.warnings {
        eprintln!(
            "warning {} line {}: {}",
            file.display(),
            issue.line,
            issue.reason
        );
    }
    println!(
        "{}: {} new, {} updated, {} unchanged, {} skipped; catalog now has {} products",
        file.display(),
        report.imported,
        report.updated,
        report.unchanged,
        report.skipped.len(),
        guide.products()
    );
    Ok(())
}
