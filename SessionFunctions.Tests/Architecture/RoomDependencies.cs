using Mono.Cecil;
using Mono.Cecil.Cil;

namespace SessionFunctions.Tests.Architecture;

/// <summary>
/// Which rooms (namespaces <c>{prefix}.{Room}</c>) the compiled types of an assembly use, read from its IL with Mono.Cecil:
/// signatures, fields, base types, and every type, method and field a method body names, so a dependency cannot hide in
/// a lambda or an async state machine.
/// </summary>
internal static class RoomDependencies
{
    /// <summary>Every use of a type in a room above its own: "From.Type (Room) → To.Type (Room)".</summary>
    /// <param name="assemblyPath">The compiled assembly.</param>
    /// <param name="prefix">The namespace the rooms are in, e.g. <c>SessionFunctions</c>.</param>
    /// <param name="layers">The rooms, top first: each may use only those after it.</param>
    public static List<string> UpwardUses(string assemblyPath, string prefix, string[] layers)
    {
        using var module = ModuleDefinition.ReadModule(assemblyPath);
        var violations = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var type in module.GetTypes())
        {
            var from = RoomOf(type, prefix, layers);
            if (from is null) continue;
            // A type of this assembly is named by its definition; others (and generic parameters) are references.
            foreach (var target in Uses(type).OfType<TypeDefinition>())
            {
                var to = RoomOf(target, prefix, layers);
                if (to is not null && Array.IndexOf(layers, to) < Array.IndexOf(layers, from))
                    violations.Add($"{Outermost(type).FullName} ({from}) → {Outermost(target).FullName} ({to})");
            }
        }
        return [.. violations];
    }

    /// <summary>The types of <paramref name="prefix"/>'s assembly that sit in no room (nor in a Microsoft.* wiring namespace).</summary>
    public static List<string> Homeless(string assemblyPath, string prefix, string[] layers)
    {
        using var module = ModuleDefinition.ReadModule(assemblyPath);
        return [.. module.Types
            .Where(t => t.Name != "<Module>" && !t.Name.StartsWith('<') && !t.Namespace.StartsWith("Microsoft.", StringComparison.Ordinal)
                && !t.Namespace.StartsWith("System.", StringComparison.Ordinal) && RoomOf(t, prefix, layers) is null)
            .Select(t => t.FullName)];
    }

    private static string? RoomOf(TypeDefinition type, string prefix, string[] layers)
    {
        var ns = Outermost(type).Namespace;
        if (!ns.StartsWith(prefix + ".", StringComparison.Ordinal)) return null;
        var room = ns[(prefix.Length + 1)..].Split('.')[0];
        return layers.Contains(room) ? room : null;
    }

    private static TypeDefinition Outermost(TypeDefinition type)
    {
        while (type.DeclaringType is not null) type = type.DeclaringType;
        return type;
    }

    private static IEnumerable<TypeReference> Uses(TypeDefinition type) => DirectUses(type).Where(t => t is not null).SelectMany(Expand);

    private static IEnumerable<TypeReference> DirectUses(TypeDefinition type)
    {
        if (type.BaseType is not null) yield return type.BaseType;
        foreach (var i in type.Interfaces) yield return i.InterfaceType;
        foreach (var a in type.CustomAttributes) yield return a.AttributeType;
        foreach (var f in type.Fields) yield return f.FieldType;
        foreach (var p in type.Properties) yield return p.PropertyType;
        foreach (var m in type.Methods)
        {
            yield return m.ReturnType;
            foreach (var p in m.Parameters) yield return p.ParameterType;
            if (!m.HasBody) continue;
            foreach (var v in m.Body.Variables) yield return v.VariableType;
            foreach (var instruction in m.Body.Instructions)
            {
                switch (instruction.Operand)
                {
                    case TypeReference t:
                        yield return t;
                        break;
                    case MethodReference called:
                        yield return called.DeclaringType;
                        yield return called.ReturnType;
                        foreach (var p in called.Parameters) yield return p.ParameterType;
                        if (called is GenericInstanceMethod generic)
                            foreach (var g in generic.GenericArguments) yield return g;
                        break;
                    case FieldReference field:
                        yield return field.DeclaringType;
                        yield return field.FieldType;
                        break;
                }
            }
        }
    }

    /// <summary>The type itself, its element type and its generic arguments, all the way down.</summary>
    private static IEnumerable<TypeReference> Expand(TypeReference type)
    {
        yield return type;
        if (type is TypeSpecification spec)
            foreach (var inner in Expand(spec.ElementType)) yield return inner;
        if (type is GenericInstanceType generic)
            foreach (var argument in generic.GenericArguments.SelectMany(Expand)) yield return argument;
    }
}
