namespace Webhooks.Workers.Changes;

/// <summary>The record fields a <see cref="FieldChanged"/> writes; parsers translate their own field names to these.</summary>
public static class RecordFields
{
    public const string Name = "name";
    public const string Description = "description";
}
