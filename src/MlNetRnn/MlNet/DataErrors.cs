using System.Runtime.ExceptionServices;
using Microsoft.ML;
using MlNetRnn.Data;

namespace MlNetRnn.MlNet;

/// <summary>Surfaces data-file errors (a bad line, or an I/O failure while reading the file) that ML.NET's
/// cursors wrap in their own exceptions, such as "Splitter/consolidator worker encountered exception".</summary>
public static class DataErrors
{
    /// <summary>
    /// <c>cursor.MoveNext()</c>, except that a <see cref="SequenceDataFormatException"/> (file and line of a
    /// bad line), an <see cref="IOException"/> or an <see cref="UnauthorizedAccessException"/> raised by a reader
    /// under ML.NET's parallel cursors is thrown as itself, not as ML.NET's wrapper.
    /// </summary>
    public static bool MoveNext(DataViewRowCursor cursor)
    {
        try
        {
            return cursor.MoveNext();
        }
        catch (Exception e) when (Find(e) is { } dataError && !ReferenceEquals(dataError, e))
        {
            ExceptionDispatchInfo.Throw(dataError);
            throw;
        }
    }

    private static Exception? Find(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is SequenceDataFormatException or IOException or UnauthorizedAccessException) return e;
        }
        return null;
    }
}
