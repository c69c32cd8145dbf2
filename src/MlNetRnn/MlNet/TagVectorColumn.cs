using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetRnn.MlNet;

/// <summary>
/// A per-token tag column (vector of text, or vector of key whose key values are text) checked against a
/// schema, read row by row as text. Shared by training (labels) and evaluation (gold and predicted tags) so
/// that both accept the same column types and report the same errors.
/// </summary>
internal sealed class TagVectorColumn
{
    /// <summary>The annotation that holds a key column's values.</summary>
    public const string KeyValuesKind = "KeyValues";
    private readonly string _role;
    private readonly string[]? _keyValues;

    private TagVectorColumn(DataViewSchema.Column column, string role, string[]? keyValues)
    {
        Column = column;
        _role = role;
        _keyValues = keyValues;
    }

    /// <summary>The checked column.</summary>
    public DataViewSchema.Column Column { get; }

    /// <summary>Finds and checks the column <paramref name="name"/>; <paramref name="role"/> (e.g. "label")
    /// names it in messages.</summary>
    /// <exception cref="ArgumentOutOfRangeException">No such column.</exception>
    /// <exception cref="ArgumentException">The column is not a vector of text or of key with text key values.</exception>
    public static TagVectorColumn Open(DataViewSchema schema, string name, string role)
    {
        var column = Find(schema, name, role);
        var expected = $"{role} column '{name}': expected Vector<String> or Vector<Key> with text key values, found {Describe(column.Type)}";
        if (column.Type is not VectorDataViewType vector
            || (vector.ItemType is not TextDataViewType && vector.ItemType is not KeyDataViewType))
            throw new ArgumentException(expected, nameof(schema));
        if (vector.ItemType is not KeyDataViewType)
            return new TagVectorColumn(column, role, keyValues: null);

        var kv = column.Annotations.Schema.GetColumnOrNull(KeyValuesKind);
        if (kv is not { Type: VectorDataViewType { ItemType: TextDataViewType } })
            throw new ArgumentException($"{expected} without text key values", nameof(schema));
        VBuffer<ReadOnlyMemory<char>> values = default;
        column.Annotations.GetValue(KeyValuesKind, ref values);
        return new TagVectorColumn(column, role, values.DenseValues().Select(v => v.ToString()).ToArray());
    }

    /// <summary>Finds a column by name or throws naming its role, its name and the columns there are.</summary>
    /// <exception cref="ArgumentOutOfRangeException">No such column.</exception>
    public static DataViewSchema.Column Find(DataViewSchema schema, string name, string role) =>
        schema.GetColumnOrNull(name) ?? throw new ArgumentOutOfRangeException(nameof(schema),
            $"{role} column '{name}' not found in the input schema (columns: {string.Join(", ", schema.Select(c => c.Name))})");

    /// <summary>ML.NET-style type name for messages, e.g. <c>Vector&lt;String&gt;</c>.</summary>
    public static string Describe(DataViewType type) => type switch
    {
        VectorDataViewType v => v.IsKnownSize ? $"Vector<{v.ItemType}, {v.Size}>" : $"Vector<{v.ItemType}>",
        _ => $"{type}",
    };

    /// <summary>A reader of the current row's tags as text; its argument is the 0-based row index, used in
    /// errors (a missing or out-of-range key raises <see cref="InvalidOperationException"/>).</summary>
    public Func<long, string[]> CreateReader(DataViewRowCursor cursor)
    {
        if (_keyValues is null)
        {
            var getter = cursor.GetGetter<VBuffer<ReadOnlyMemory<char>>>(Column);
            VBuffer<ReadOnlyMemory<char>> buffer = default;
            return _ =>
            {
                getter(ref buffer);
                return buffer.DenseValues().Select(t => t.ToString()).ToArray();
            };
        }
        var rawType = ((KeyDataViewType)((VectorDataViewType)Column.Type).ItemType).RawType;
        if (rawType == typeof(uint)) return KeyReader<uint>(cursor, _keyValues, k => k);
        if (rawType == typeof(ushort)) return KeyReader<ushort>(cursor, _keyValues, k => k);
        if (rawType == typeof(byte)) return KeyReader<byte>(cursor, _keyValues, k => k);
        if (rawType == typeof(ulong)) return KeyReader<ulong>(cursor, _keyValues, k => k);
        throw new ArgumentException($"{_role} column '{Column.Name}': unsupported key raw type {rawType.Name}");
    }

    private Func<long, string[]> KeyReader<T>(DataViewRowCursor cursor, string[] keyValues, Func<T, ulong> toUlong)
    {
        var getter = cursor.GetGetter<VBuffer<T>>(Column);
        VBuffer<T> buffer = default;
        return row =>
        {
            getter(ref buffer);
            var result = new string[buffer.Length];
            int i = 0;
            foreach (var raw in buffer.DenseValues())
            {
                ulong key = toUlong(raw);
                if (key == 0 || key > (ulong)keyValues.Length)
                    throw new InvalidOperationException(
                        $"row {row}: {_role} column '{Column.Name}' has a missing or out-of-range key at position {i} (key {key}, {keyValues.Length} key values)");
                result[i++] = keyValues[key - 1];
            }
            return result;
        };
    }
}
