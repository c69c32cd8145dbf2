using Microsoft.ML;

namespace MlNetRnn.Data;

/// <summary>
/// Loads tagged-sentence files as an <see cref="IDataView"/> with two columns, <c>Tokens</c> and <c>Tags</c>,
/// each a variable-length vector of text (one row per sentence).
/// </summary>
public static class SequenceDataCatalogExtensions
{
    /// <summary>
    /// Loads a CoNLL-U file (see <see cref="CoNllUReader"/>), tags from <paramref name="column"/>.
    /// The view streams: every cursor re-reads the file, so memory does not grow with its size,
    /// and format errors surface when a cursor reaches the bad line.
    /// </summary>
    /// <exception cref="FileNotFoundException">Thrown here, not at first read, when the file is missing.</exception>
    public static IDataView LoadFromConllU(
        this DataOperationsCatalog catalog, string path, CoNllUTagColumn column = CoNllUTagColumn.Upos)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return catalog.LoadFromEnumerable(new CoNllUReader(column).Read(path));
    }

    /// <summary>
    /// Loads a column CoNLL file (token first, tag last; see <see cref="CoNllReader"/>).
    /// The view streams: every cursor re-reads the file, so memory does not grow with its size,
    /// and format errors surface when a cursor reaches the bad line.
    /// </summary>
    /// <exception cref="FileNotFoundException">Thrown here, not at first read, when the file is missing.</exception>
    public static IDataView LoadFromConll(this DataOperationsCatalog catalog, string path)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return catalog.LoadFromEnumerable(new CoNllReader().Read(path));
    }
}
