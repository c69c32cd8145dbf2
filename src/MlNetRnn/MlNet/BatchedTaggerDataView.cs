using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetRnn.Models;

namespace MlNetRnn.MlNet;

/// <summary>
/// The output of a tagger's stock chain, computed in blocks: its cursor reads <see cref="BlockRows"/> rows ahead, tags each block with one call of <see cref="SequenceTaggerNetwork.Predict"/> (which
/// groups the sentences by length) and then serves the rows in their original order. Schema, row count and
/// shuffling are those of the row-wise chain view, and a cursor that reads none of the three output columns is that
/// view's own cursor (the network does not run).
/// </summary>
/// <remarks>Columns other than the outputs pass through from the view below the tagger (the chain copies the tokens
/// to a helper column, then adds the outputs and drops its helpers); they are buffered per block, vectors copied
/// into the caller's buffer, so a caller may keep what a getter gives. Cancellation of the ML.NET environment is
/// checked by the source cursor as each row is read.</remarks>
internal sealed class BatchedTaggerDataView : IDataView
{
    /// <summary>Rows read ahead and tagged at once. Large, because the network sorts each block by length into its
    /// batches: on EWT dev (default tagger, 2 threads) blocks of 1,024 gave about 3,100 sentences/s, blocks of 64
    /// doubling up to 1,024 about 2,100 and of 256 doubling about 2,200 (short blocks pad more and run fewer batches
    /// at once). The first row then waits for its whole block.</summary>
    public const int BlockRows = 1024;

    private readonly IDataView _source;
    private readonly IDataView _rowwise;
    private readonly DataViewSchema.Column _tokens;
    private readonly Lazy<SequenceTaggerNetwork> _network;
    private readonly int[] _outputs;
    private readonly DataViewSchema.Column?[] _sourceColumns;

    private BatchedTaggerDataView(IDataView source, IDataView rowwise, DataViewSchema.Column tokens, Lazy<SequenceTaggerNetwork> network,
        int[] outputs, DataViewSchema.Column?[] sourceColumns)
    {
        _source = source;
        _rowwise = rowwise;
        _tokens = tokens;
        _network = network;
        _outputs = outputs;
        _sourceColumns = sourceColumns;
    }

    /// <summary>The batched view, or <paramref name="rowwise"/> itself when its columns cannot be matched to
    /// <paramref name="source"/> (the row-wise chain then reports any schema error as it always did).</summary>
    /// <param name="source">The view after the chain's first step (tokens copied to the helper tokens column).</param>
    /// <param name="rowwise">The chain's own (row-wise) output view.</param>
    /// <param name="network">The tagger's network, resolved on the first block.</param>
    /// <param name="outputNames">Names of the predicted tags, score and probabilities columns.</param>
    public static IDataView Create(IDataView source, IDataView rowwise, Lazy<SequenceTaggerNetwork> network, IReadOnlyList<string> outputNames)
    {
        var schema = rowwise.Schema;
        var tokens = source.Schema.GetColumnOrNull(TaggerContract.TokensColumn);
        if (tokens is not { Type: VectorDataViewType { ItemType: TextDataViewType } }) return rowwise;
        var outputs = new int[outputNames.Count];
        for (int k = 0; k < outputs.Length; k++)
        {
            var column = schema.GetColumnOrNull(outputNames[k]);
            DataViewType expected = k == 0 ? new VectorDataViewType(TextDataViewType.Instance) : new VectorDataViewType(NumberDataViewType.Single);
            if (column is null || !column.Value.Type.Equals(expected)) return rowwise;
            outputs[k] = column.Value.Index;
        }
        var sourceColumns = new DataViewSchema.Column?[schema.Count];
        foreach (var column in schema)
        {
            if (outputs.Contains(column.Index)) continue;
            var visible = schema.GetColumnOrNull(column.Name);
            var match = source.Schema.GetColumnOrNull(column.Name);
            if (column.IsHidden || visible?.Index != column.Index || match is null || !match.Value.Type.Equals(column.Type)) return rowwise;
            sourceColumns[column.Index] = match;
        }
        return new BatchedTaggerDataView(source, rowwise, tokens.Value, network, outputs, sourceColumns);
    }

    public bool CanShuffle => _rowwise.CanShuffle;

    public DataViewSchema Schema => _rowwise.Schema;

    public long? GetRowCount() => _rowwise.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        ArgumentNullException.ThrowIfNull(columnsNeeded);
        var needed = columnsNeeded.Select(c => c.Index).ToHashSet();
        if (!_outputs.Any(needed.Contains)) return _rowwise.GetRowCursor(columnsNeeded, rand);
        var passThrough = needed.Where(i => !_outputs.Contains(i)).Select(i => _sourceColumns[i]!.Value).ToList();
        var inner = _source.GetRowCursor(passThrough.Append(_tokens), rand);
        return new Cursor(this, inner, needed);
    }

    /// <summary>One cursor: a block is tagged together, so splitting rows across threads gains nothing.</summary>
    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [GetRowCursor(columnsNeeded, rand)];

    private sealed class Cursor : DataViewRowCursor
    {
        private readonly BatchedTaggerDataView _view;
        private readonly DataViewRowCursor _inner;
        private readonly bool[] _active;
        private readonly ColumnBlock?[] _blocks;
        private readonly ValueGetter<VBuffer<ReadOnlyMemory<char>>> _tokensGetter;
        private readonly ValueGetter<DataViewRowId> _innerId;
        private readonly List<string[]> _sentences = [];
        private DataViewRowId[] _ids = [];
        private SentenceTagging[] _tagged = [];
        private VBuffer<ReadOnlyMemory<char>> _tokenBuffer;
        private int _count;
        private int _slot = -1;
        private long _position = -1;
        private bool _done;

        public Cursor(BatchedTaggerDataView view, DataViewRowCursor inner, HashSet<int> needed)
        {
            _view = view;
            _inner = inner;
            _active = new bool[view.Schema.Count];
            _blocks = new ColumnBlock?[view.Schema.Count];
            foreach (int index in needed)
            {
                _active[index] = true;
                if (view._sourceColumns[index] is { } source) _blocks[index] = ColumnBlock.Create(inner, source);
            }
            _tokensGetter = inner.GetGetter<VBuffer<ReadOnlyMemory<char>>>(view._tokens);
            _innerId = inner.GetIdGetter();
        }

        public override DataViewSchema Schema => _view.Schema;

        public override long Position => _position;

        public override long Batch => 0;

        /// <summary>Which row of the current block the cursor is on.</summary>
        internal int Slot => _slot >= 0 && _slot < _count
            ? _slot
            : throw new InvalidOperationException("the cursor is not on a row: call MoveNext first (and only while it returns true)");

        public override bool IsColumnActive(DataViewSchema.Column column) => _active[column.Index];

        public override bool MoveNext()
        {
            if (_done) return false;
            if (_slot + 1 < _count)
            {
                _slot++;
                _position++;
                return true;
            }
            ReadBlock();
            if (_count == 0)
            {
                _done = true;
                _slot = -1;
                return false;
            }
            _slot = 0;
            _position++;
            return true;
        }

        private void ReadBlock()
        {
            _count = 0;
            _sentences.Clear();
            if (_ids.Length < BlockRows) Array.Resize(ref _ids, BlockRows);
            while (_count < BlockRows && _inner.MoveNext())
            {
                _tokensGetter(ref _tokenBuffer);
                var tokens = new string[_tokenBuffer.Length];
                int i = 0;
                foreach (var token in _tokenBuffer.DenseValues()) tokens[i++] = token.ToString();
                _sentences.Add(tokens);
                _innerId(ref _ids[_count]);
                foreach (var block in _blocks) block?.Read(_count);
                _count++;
            }
            _tagged = _count == 0 ? [] : _view._network.Value.Predict(_sentences);
        }

        public override ValueGetter<DataViewRowId> GetIdGetter() => (ref DataViewRowId id) => id = _ids[Slot];

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (column.Index < 0 || column.Index >= _active.Length || !_active[column.Index])
                throw new InvalidOperationException($"column '{column.Name}' was not requested when the cursor was made (it is inactive)");
            if (typeof(TValue) != column.Type.RawType)
                throw new InvalidOperationException(
                    $"Invalid TValue in GetGetter for column '{column.Name}': '{typeof(TValue)}', expected type: '{column.Type.RawType}'.");
            if (_blocks[column.Index] is { } block) return (ValueGetter<TValue>)block.Getter(this);
            int output = Array.IndexOf(_view._outputs, column.Index);
            Delegate getter = output switch
            {
                0 => (ValueGetter<VBuffer<ReadOnlyMemory<char>>>)GetTags,
                1 => (ValueGetter<VBuffer<float>>)((ref VBuffer<float> value) => CopyTo(_tagged[Slot].Scores, ref value)),
                _ => (ValueGetter<VBuffer<float>>)((ref VBuffer<float> value) => CopyTo(_tagged[Slot].Distribution, ref value)),
            };
            return (ValueGetter<TValue>)getter;
        }

        private void GetTags(ref VBuffer<ReadOnlyMemory<char>> value)
        {
            var tags = _tagged[Slot].Tags;
            var editor = VBufferEditor.Create(ref value, tags.Length);
            for (int i = 0; i < tags.Length; i++) editor.Values[i] = tags[i].AsMemory();
            value = editor.Commit();
        }

        private static void CopyTo(float[] values, ref VBuffer<float> value)
        {
            var editor = VBufferEditor.Create(ref value, values.Length);
            values.CopyTo(editor.Values);
            value = editor.Commit();
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) _inner.Dispose();
            base.Dispose(disposing);
        }
    }

    /// <summary>One pass-through column's values for the rows of a block.</summary>
    private abstract class ColumnBlock
    {
        public abstract void Read(int slot);

        public abstract Delegate Getter(Cursor cursor);

        public static ColumnBlock Create(DataViewRowCursor inner, DataViewSchema.Column column)
        {
            var raw = column.Type.RawType;
            var type = raw.IsGenericType && raw.GetGenericTypeDefinition() == typeof(VBuffer<>)
                ? typeof(VectorBlock<>).MakeGenericType(raw.GetGenericArguments()[0])
                : typeof(ValueBlock<>).MakeGenericType(raw);
            return (ColumnBlock)Activator.CreateInstance(type, inner, column)!;
        }
    }

    /// <summary>Scalars (numbers, text as immutable memory, keys, ids, dates) are kept as they are.</summary>
    private sealed class ValueBlock<T>(DataViewRowCursor inner, DataViewSchema.Column column) : ColumnBlock
    {
        private readonly ValueGetter<T> _source = inner.GetGetter<T>(column);
        private T[] _values = new T[BlockRows];

        public override void Read(int slot)
        {
            if (slot >= _values.Length) Array.Resize(ref _values, Math.Max(slot + 1, _values.Length * 2));
            _source(ref _values[slot]);
        }

        public override Delegate Getter(Cursor cursor) => (ValueGetter<T>)((ref T value) => value = _values[cursor.Slot]);
    }

    /// <summary>Vectors are read into one buffer per row and copied out, so callers never share a buffer.</summary>
    private sealed class VectorBlock<T>(DataViewRowCursor inner, DataViewSchema.Column column) : ColumnBlock
    {
        private readonly ValueGetter<VBuffer<T>> _source = inner.GetGetter<VBuffer<T>>(column);
        private VBuffer<T>[] _values = new VBuffer<T>[BlockRows];

        public override void Read(int slot)
        {
            if (slot >= _values.Length) Array.Resize(ref _values, Math.Max(slot + 1, _values.Length * 2));
            _source(ref _values[slot]);
        }

        public override Delegate Getter(Cursor cursor) => (ValueGetter<VBuffer<T>>)((ref VBuffer<T> value) => _values[cursor.Slot].CopyTo(ref value));
    }
}
