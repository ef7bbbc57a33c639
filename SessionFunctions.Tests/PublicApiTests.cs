using System.Reflection;
using SessionFunctions.Http;
using SessionFunctions.Tests.Infrastructure;

namespace SessionFunctions.Tests;

/// <summary>
/// The public surface of the libraries is tracked in <c>PublicAPI.Shipped.txt</c> beside each project, as
/// Microsoft.CodeAnalysis.PublicApiAnalyzers would (that package does not restore here): a type or member that becomes
/// public by accident, or a public one that changes, fails here. To accept a deliberate change, run the tests with
/// <c>UPDATE_PUBLIC_API=1</c> and commit the rewritten file.
/// </summary>
public sealed class PublicApiTests
{
    [Theory]
    [InlineData("SessionFunctions.Core", typeof(SessionEndpoints))]
    [InlineData("SessionFunctions.Redis", typeof(SessionFunctions.Redis.RedisSessionStore))]
    public void The_public_surface_is_the_tracked_one(string project, Type anyType)
    {
        var file = RepositoryFiles.PathOf(project, "PublicAPI.Shipped.txt");
        var actual = Surface(anyType.Assembly);
        if (Environment.GetEnvironmentVariable("UPDATE_PUBLIC_API") == "1") File.WriteAllLines(file, actual);
        var tracked = File.Exists(file) ? File.ReadAllLines(file) : [];
        var added = actual.Except(tracked).ToList();
        var removed = tracked.Except(actual).ToList();
        Assert.True(added.Count == 0 && removed.Count == 0,
            $"The public API of {project} changed (UPDATE_PUBLIC_API=1 rewrites {file}).\nAdded:\n  {string.Join("\n  ", added)}\nRemoved:\n  {string.Join("\n  ", removed)}");
    }

    private static List<string> Surface(Assembly assembly)
    {
        const BindingFlags Declared = BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        var lines = new List<string>();
        foreach (var type in assembly.GetExportedTypes())
        {
            lines.Add($"{Kind(type)} {type.FullName}");
            foreach (var member in type.GetMembers(Declared))
            {
                // Property and event accessors are listed through their property or event; compiler-made members are noise.
                if (member is MethodInfo { IsSpecialName: true } || member.IsDefined(typeof(System.Runtime.CompilerServices.CompilerGeneratedAttribute))) continue;
                lines.Add($"{type.FullName}::{member}");
            }
        }
        lines.Sort(StringComparer.Ordinal);
        return lines;
    }

    private static string Kind(Type type) => type switch
    {
        { IsInterface: true } => "interface",
        { IsEnum: true } => "enum",
        { IsValueType: true } => "struct",
        { IsAbstract: true, IsSealed: true } => "static class",
        _ => "class",
    };
}
