//! Where a step goes in the plan.

/// Where a step goes in the plan. Declaration order is plan order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Phase {
    Prelude,
    Rename,
    DropPolicy,
    /// Rules go before anything they use is dropped, retyped or recreated.
    DropRule,
    DropTrigger,
    DropView,
    DropForeignKey,
    DropConstraint,
    DropIndex,
    /// Functions whose signature or body uses a relation (row types,
    /// `BEGIN ATOMIC` bodies): before the relations go.
    DropRelationFunction,
    ColumnPreAlter,
    DropColumn,
    DropTable,
    DropFunction,
    DropSequence,
    /// Types dropped to be created again under the same name.
    DropType,
    CreateSchema,
    CreateExtension,
    Enum,
    Domain,
    Composite,
    Sequence,
    Function,
    CreateTable,
    AlterTable,
    AddColumn,
    AlterColumn,
    AddConstraint,
    /// Unique indexes on plain columns without a predicate: a foreign key
    /// may reference them, so they exist before the foreign keys.
    CreateKeyIndex,
    AddForeignKey,
    CreateIndex,
    SequenceOwnedBy,
    LateFunction,
    CreateView,
    CreateTrigger,
    /// Rules, once every table, view and function they use exists.
    CreateRule,
    Rls,
    Policy,
    Grant,
    Comment,
    /// Types that are gone, once no column uses them any more.
    LateDropType,
    FinalDrop,
    DropExtension,
    DropSchema,
}
