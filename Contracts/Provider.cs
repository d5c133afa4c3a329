namespace Webhooks.Contracts;

/// <summary>The sending tools. The lower-case name is the wire name (URLs, queue names, admin API).</summary>
public enum Provider
{
    Jira,
    GitHub,
    Rally,
    Asana,
    Salesforce,
    Smartsheet,
    Trello,
    /// <summary>Any sender signing per the Standard Webhooks specification (standardwebhooks.com); its payload is mapped by the integration's settings.</summary>
    Standard,
}
