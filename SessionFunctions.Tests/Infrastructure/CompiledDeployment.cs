using System.Text.Json.Nodes;

namespace SessionFunctions.Tests.Infrastructure;

/// <summary>
/// infra/main.bicep compiled to an ARM template by the real Bicep CLI, and every infra/**/*.bicep file linted with
/// infra/bicepconfig.json, once per test class.
/// </summary>
public sealed class CompiledDeployment
{
    private readonly ArmTemplate? _main;

    public CompiledDeployment()
    {
        var directory = Directory.CreateTempSubdirectory("bicep-");
        try
        {
            var output = Path.Combine(directory.FullName, "main.json");
            Build = BicepCli.Run("build", RepositoryFiles.PathOf("infra", "main.bicep"), "--outfile", output);
            if (File.Exists(output)) _main = new ArmTemplate("main", JsonNode.Parse(File.ReadAllText(output))!.AsObject(), null);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
        Lint = BicepCli.Run("lint", "--pattern", RepositoryFiles.PathOf("infra") + "/**/*.bicep");
    }

    public BicepRun Build { get; }

    public BicepRun Lint { get; }

    /// <summary>The compiled main.bicep.</summary>
    public ArmTemplate Main => _main ?? throw new InvalidOperationException("bicep build wrote no template. " + Build);
}

/// <summary>
/// An ARM template as Bicep compiles it: main.bicep, or one of its modules, which Bicep nests as a
/// Microsoft.Resources/deployments resource with the module's template inline in properties.template.
/// </summary>
public sealed class ArmTemplate(string name, JsonObject json, JsonObject? deployment)
{
    /// <summary>"main", or the name of the module's deployment (its <c>name:</c> in main.bicep).</summary>
    public string Name { get; } = name;

    public JsonObject Json { get; } = json;

    /// <summary>The deployments resource that deploys this module; null for main.</summary>
    public JsonObject? Deployment { get; } = deployment;

    public JsonObject Parameters => Json["parameters"]?.AsObject() ?? [];

    public JsonObject Variables => Json["variables"]?.AsObject() ?? [];

    public JsonObject Outputs => Json["outputs"]?.AsObject() ?? [];

    /// <summary>
    /// The resources declared directly in this template, existing ones excluded (they are looked up, not deployed).
    /// languageVersion 2.0 templates (those with user-defined types) hold them in an object keyed by symbolic name.
    /// </summary>
    public IEnumerable<JsonObject> OwnResources =>
        (Json["resources"] switch
        {
            JsonArray array => array.Select(r => r!.AsObject()),
            JsonObject byName => byName.Select(r => r.Value!.AsObject()),
            _ => [],
        }).Where(r => r["existing"]?.GetValue<bool>() != true);

    public IEnumerable<ArmTemplate> Modules =>
        OwnResources.Where(r => Text(r["type"]) == "Microsoft.Resources/deployments" && r["properties"]?["template"] is JsonObject)
            .Select(r => new ArmTemplate(Text(r["name"])!, r["properties"]!["template"]!.AsObject(), r));

    /// <summary>The module whose deployment is named <paramref name="moduleName"/>, at any depth.</summary>
    public ArmTemplate Module(string moduleName) => Assert.Single(AllTemplates, t => t.Name == moduleName);

    /// <summary>This template and every module under it.</summary>
    public IEnumerable<ArmTemplate> AllTemplates => Modules.SelectMany(m => m.AllTemplates).Prepend(this);

    /// <summary>The resources of <paramref name="type"/> in this template and its modules.</summary>
    public IEnumerable<ArmResource> Resources(string type) =>
        AllTemplates.SelectMany(t => t.OwnResources.Where(r => Text(r["type"]) == type).Select(r => new ArmResource(t, r)));

    /// <summary>Every resource in this template and its modules, the module deployments themselves excluded.</summary>
    public IEnumerable<ArmResource> AllResources =>
        AllTemplates.SelectMany(t => t.OwnResources.Where(r => Text(r["type"]) != "Microsoft.Resources/deployments").Select(r => new ArmResource(t, r)));

    /// <summary>
    /// The value main.bicep passes to this module's parameter <paramref name="parameter"/>, or null. A conditional
    /// argument compiles to one expression for the whole entry, "[if(..., createObject('value', a), createObject('value', b))]",
    /// which this returns as it is.
    /// </summary>
    public JsonNode? Argument(string parameter) => Deployment?["properties"]?["parameters"]?[parameter] switch
    {
        JsonObject entry => entry["value"],
        var expression => expression,
    };

    /// <summary>The parameters declared <c>@secure()</c>: securestring or secureObject.</summary>
    public IEnumerable<string> SecureParameterNames =>
        Parameters.Where(p => Text(p.Value!["type"]) is "securestring" or "secureObject").Select(p => p.Key);

    /// <summary>The string at <paramref name="node"/>, or null when it is absent or not a string.</summary>
    public static string? Text(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    /// <summary>Every string anywhere under <paramref name="node"/>, property names included.</summary>
    public static IEnumerable<string> Strings(JsonNode? node) => node switch
    {
        JsonObject obj => obj.SelectMany(p => Strings(p.Value).Prepend(p.Key)),
        JsonArray array => array.SelectMany(Strings),
        JsonValue value when value.TryGetValue<string>(out var text) => [text],
        _ => [],
    };
}

/// <summary>One resource of a compiled template, with the module it is declared in.</summary>
public sealed record ArmResource(ArmTemplate Template, JsonObject Json)
{
    public string Type => ArmTemplate.Text(Json["type"])!;

    public string? Condition => ArmTemplate.Text(Json["condition"]);

    /// <summary>The node at the dotted <paramref name="path"/> ("properties.sku.name"), or null.</summary>
    public JsonNode? this[string path] => path.Split('.').Aggregate<string, JsonNode?>(Json, (node, key) => node is JsonObject obj ? obj[key] : null);

    /// <summary>The string at <paramref name="path"/>: a literal, or an expression "[...]".</summary>
    public string? Text(string path) => ArmTemplate.Text(this[path]);

    public override string ToString() => $"{Type} in {Template.Name}";
}
