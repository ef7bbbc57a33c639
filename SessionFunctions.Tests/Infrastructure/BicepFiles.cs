using System.Diagnostics;
using System.Text.Json;

namespace SessionFunctions.Tests.Infrastructure;

/// <summary>A node of a tree-sitter-bicep syntax tree (named nodes only).</summary>
public sealed record BicepNode(string Type, int Line, string? Text, List<BicepNode>? Children)
{
    public IEnumerable<BicepNode> Nodes => Children ?? [];

    public IEnumerable<BicepNode> Descendants() => Nodes.SelectMany(c => c.Descendants().Prepend(c));

    /// <summary>A literal's value: a string's content, or the text of a number, boolean or identifier.</summary>
    public string Value => Type == "string"
        ? string.Concat(Nodes.Where(n => n.Type is "string_content" or "escape_sequence").Select(n => n.Text))
        : Text ?? "";

    /// <summary>The value of the property at <paramref name="path"/> ("properties.sku.name") of this object, or null.</summary>
    public BicepNode? Property(string path)
    {
        var node = this;
        foreach (var key in path.Split('.'))
        {
            var property = node.Nodes.FirstOrDefault(p => p.Type == "object_property" && p.Nodes.First().Value == key);
            if (property is null) return null;
            node = property.Nodes.ElementAt(1);
        }
        return node;
    }
}

/// <summary>One parsed .bicep file.</summary>
public sealed record BicepFile([property: System.Text.Json.Serialization.JsonPropertyName("file")] string Path, List<BicepError> Errors, BicepNode Tree)
{
    public string Name => System.IO.Path.GetFileName(Path);

    /// <summary>The bodies (objects) of the resources whose type starts with <paramref name="typePrefix"/>.</summary>
    public IEnumerable<BicepNode> Resources(string typePrefix) =>
        Tree.Descendants()
            .Where(n => n.Type == "resource_declaration" && n.Nodes.ElementAt(1).Value.StartsWith(typePrefix, StringComparison.Ordinal))
            .Select(n => n.Nodes.Last() is { Type: "if_statement" } conditional ? conditional.Nodes.Last() : n.Nodes.Last());

    /// <summary>The params object of the module declared with source <paramref name="source"/>.</summary>
    public BicepNode ModuleParams(string source) =>
        Tree.Nodes.Single(n => n.Type == "module_declaration" && n.Nodes.ElementAt(1).Value == source).Nodes.Last().Property("params")!;

    public IEnumerable<string> ParameterNames => Tree.Nodes.Where(n => n.Type == "parameter_declaration").Select(n => n.Nodes.First().Value);

    /// <summary>The declaration (param, var, output, …) named <paramref name="name"/> at the top level of the file.</summary>
    public BicepNode Declaration(string type, string name) =>
        Tree.Nodes.Single(n => n.Type == type && n.Nodes.First().Value == name);

    /// <summary>
    /// The decorators of the top-level declaration named <paramref name="name"/>, by decorator name (<c>minValue</c>,
    /// <c>secure</c>, …), each with its arguments node. tree-sitter-bicep puts them in a <c>decorators</c> node just
    /// before the declaration (comments may stand between).
    /// </summary>
    public Dictionary<string, BicepNode> Decorators(string name)
    {
        var nodes = Tree.Nodes.ToList();
        var index = nodes.FindIndex(n => n.Type.EndsWith("_declaration", StringComparison.Ordinal) && n.Nodes.First().Value == name);
        if (index < 0) throw new ArgumentException($"{Name} declares nothing named {name}.", nameof(name));
        var before = nodes.Take(index).Reverse().SkipWhile(n => n.Type == "comment").FirstOrDefault();
        if (before is not { Type: "decorators" }) return [];
        return before.Nodes.Where(d => d.Type == "decorator")
            .Select(d => d.Nodes.Single())
            .ToDictionary(call => call.Type == "call_expression" ? call.Nodes.First().Value : call.Value, call => call.Nodes.Last());
    }

    /// <summary>The names of the parameters decorated with <c>@secure()</c>.</summary>
    public IEnumerable<string> SecureParameterNames => ParameterNames.Where(p => Decorators(p).ContainsKey("secure"));

    public IEnumerable<string> OutputNames => Tree.Nodes.Where(n => n.Type == "output_declaration").Select(n => n.Nodes.First().Value);
}

public sealed record BicepError(int Line, int Column, string Text);

/// <summary>
/// Every infra/**/*.bicep file, parsed once with tree-sitter-bicep (BicepParser/, through node): the Bicep compiler
/// cannot be installed on the development machine. Fails loudly when node or the parser's packages are missing.
/// </summary>
public sealed class BicepFiles
{
    private static readonly JsonSerializerOptions WebJson = new(JsonSerializerDefaults.Web);

    public BicepFiles()
    {
        var parser = RepositoryFiles.PathOf("SessionFunctions.Tests", "BicepParser");
        if (!Directory.Exists(Path.Combine(parser, "node_modules", "tree-sitter-bicep")))
            throw new InvalidOperationException($"tree-sitter-bicep is not installed: run `npm ci` in {parser} (bash test.sh does).");
        var files = Directory.GetFiles(RepositoryFiles.PathOf("infra"), "*.bicep", SearchOption.AllDirectories).Order().ToList();
        var start = new ProcessStartInfo("node", ["parse.js", .. files])
        {
            WorkingDirectory = parser,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("node did not start.");
        var stderr = process.StandardError.ReadToEndAsync();
        var json = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException("parse.js failed: " + stderr.Result);
        All = JsonSerializer.Deserialize<List<BicepFile>>(json, WebJson)!;
    }

    public List<BicepFile> All { get; }

    public BicepFile this[string name] => All.Single(f => f.Path.Replace('\\', '/').EndsWith("/" + name, StringComparison.Ordinal));
}
