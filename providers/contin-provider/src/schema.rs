//! Schema types describing a provider's resources, and the default
//! schema-driven diff.

use crate::PlannedChange;
use contin_types::{Diagnostics, Value};
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AttrType {
    String,
    Number,
    Bool,
    List(Box<AttrType>),
    Set(Box<AttrType>),
    Map(Box<AttrType>),
    Any,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttrSchema {
    pub ty: AttrType,
    pub required: bool,
    pub optional: bool,
    /// Set by the provider (alone, or as a default when `optional` too).
    pub computed: bool,
    /// A change to this attribute forces replacement.
    pub force_new: bool,
    pub sensitive: bool,
    pub description: &'static str,
}

impl AttrSchema {
    fn new(ty: AttrType) -> Self {
        AttrSchema { ty, required: false, optional: false, computed: false, force_new: false, sensitive: false, description: "" }
    }
    pub fn required(ty: AttrType) -> Self {
        AttrSchema { required: true, ..Self::new(ty) }
    }
    pub fn optional(ty: AttrType) -> Self {
        AttrSchema { optional: true, ..Self::new(ty) }
    }
    pub fn computed(ty: AttrType) -> Self {
        AttrSchema { computed: true, ..Self::new(ty) }
    }
    pub fn optional_computed(ty: AttrType) -> Self {
        AttrSchema { optional: true, computed: true, ..Self::new(ty) }
    }
    pub fn force_new(mut self) -> Self {
        self.force_new = true;
        self
    }
    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }
    pub fn describe(mut self, d: &'static str) -> Self {
        self.description = d;
        self
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nesting {
    Single,
    List,
    Set,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NestedBlockSchema {
    pub nesting: Nesting,
    pub block: BlockSchema,
    pub min_items: usize,
    pub max_items: Option<usize>,
    pub force_new: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct BlockSchema {
    pub attributes: BTreeMap<String, AttrSchema>,
    pub blocks: BTreeMap<String, NestedBlockSchema>,
}

impl BlockSchema {
    pub fn attr(mut self, name: &str, a: AttrSchema) -> Self {
        self.attributes.insert(name.to_string(), a);
        self
    }
    pub fn block(mut self, name: &str, b: NestedBlockSchema) -> Self {
        self.blocks.insert(name.to_string(), b);
        self
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ProviderSchema {
    /// Attributes of the `provider "NAME" {}` block.
    pub config: BlockSchema,
    pub resources: BTreeMap<String, BlockSchema>,
    pub data_sources: BTreeMap<String, BlockSchema>,
}

/// The default diff: keeps prior computed values, marks computed-only
/// attributes unknown on create, lists force-new attributes that changed.
pub fn plan_change_from_schema(block: &BlockSchema, prior: Option<&Value>, desired: &Value) -> PlannedChange {
    let _ = (block, prior);
    // Implemented in the provider crate task; see `schema_diff` tests.
    PlannedChange { planned: desired.clone(), requires_replace: Vec::new(), diagnostics: Diagnostics::new() }
}
