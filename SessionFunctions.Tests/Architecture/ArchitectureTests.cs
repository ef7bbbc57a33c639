using SessionFunctions.Configuration;

namespace SessionFunctions.Tests.Architecture;

/// <summary>
/// The rooms of SessionFunctions.Core and the one way their dependencies point (docs/architecture.md): a request goes
/// Http → Lifecycle → UserIndex → Storage → the store, and every room may use the leaf rooms below it (the
/// extension points, cookies, configuration, diagnostics), never one above it.
/// </summary>
public sealed class ArchitectureTests
{
    /// <summary>The rooms, top first: each may use only the rooms after it.</summary>
    private static readonly string[] Layers = ["Http", "Lifecycle", "UserIndex", "Extensibility", "Storage", "Cookies", "Configuration", "Diagnostics"];

    private static string CoreAssembly => typeof(SessionApiOptions).Assembly.Location;

    [Fact]
    public void No_room_of_the_core_uses_a_room_above_it()
    {
        var upward = RoomDependencies.UpwardUses(CoreAssembly, "SessionFunctions", Layers);
        Assert.True(upward.Count == 0, "Uses that point up:\n" + string.Join('\n', upward));
    }

    [Fact]
    public void Every_type_of_the_core_is_in_a_room_or_is_wiring()
    {
        // The Add…/Map… extension methods live in Microsoft.* namespaces, where ASP.NET Core puts its own: the composition root.
        var homeless = RoomDependencies.Homeless(CoreAssembly, "SessionFunctions", Layers);
        Assert.True(homeless.Count == 0, "Types in no room:\n" + string.Join('\n', homeless));
    }

    [Fact]
    public void The_check_finds_a_use_that_points_up_even_inside_a_lambda()
    {
        var found = RoomDependencies.UpwardUses(typeof(ArchitectureTests).Assembly.Location, "SessionFunctions.Tests.Architecture.Sample", ["Top", "Bottom"]);

        Assert.Equal(["SessionFunctions.Tests.Architecture.Sample.Bottom.Store (Bottom) → SessionFunctions.Tests.Architecture.Sample.Top.Endpoint (Top)"], found);
    }
}
