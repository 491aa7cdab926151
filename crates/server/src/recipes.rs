//! The registry of format recipes. Adding a format is one line here plus its crate.

use std::collections::HashMap;
use std::sync::Arc;
use stowage_core::format::Recipe;
use stowage_core::model::RepoKind;

/// Recipes by `(format, kind)`.
pub struct Recipes {
    by_key: HashMap<(&'static str, RepoKind), Arc<dyn Recipe>>,
}

impl Recipes {
    /// Every recipe this build of Stowage knows.
    pub fn all() -> Self {
        let mut by_key = HashMap::new();
        for recipe in stowage_raw::recipes()
            .into_iter()
            .chain(stowage_docker_hosted::recipes())
            .chain(stowage_docker_proxy::recipes())
        {
            by_key.insert((recipe.format(), recipe.kind()), recipe);
        }
        Self { by_key }
    }

    /// The recipe for `format` and `kind`, if this build has one.
    pub fn get(&self, format: &str, kind: RepoKind) -> Option<&Arc<dyn Recipe>> {
        self.by_key
            .iter()
            .find(|((f, k), _)| *f == format && *k == kind)
            .map(|(_, r)| r)
    }

    /// The formats this build serves, sorted.
    pub fn formats(&self) -> Vec<String> {
        let mut f: Vec<String> = self.by_key.keys().map(|(f, _)| (*f).to_owned()).collect();
        f.sort();
        f.dedup();
        f
    }
}
