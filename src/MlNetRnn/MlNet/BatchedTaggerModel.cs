using System.Collections;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetRnn.MlNet;

/// <summary>
/// A loaded model (the stock chain of <c>mlContext.Model.Load</c>) whose <see cref="Transform"/> tags in blocks
/// (<see cref="BatchedTaggerDataView"/>). Everything else (schema, row-to-row mapper for <c>PredictionEngine</c>,
/// saving) is the chain's own, so a file saved from here is the same stock chain.
/// </summary>
internal sealed class BatchedTaggerModel(ITransformer chain) : ITransformer, IEnumerable<ITransformer>
{
    /// <summary>The chain as ML.NET loaded it.</summary>
    public ITransformer Chain { get; } = chain;

    public bool IsRowToRowMapper => Chain.IsRowToRowMapper;

    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => Chain.GetOutputSchema(inputSchema);

    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => Chain.GetRowToRowMapper(inputSchema);

    /// <summary>Adds the chain's columns lazily; the taggers' columns are computed a block of rows at a time.</summary>
    public IDataView Transform(IDataView input) =>
        BatchedTagging.Transform(Chain, input, valueMapping => TaggerChain.Resolve(valueMapping).Network);

    void ICanSaveModel.Save(ModelSaveContext ctx) => Chain.Save(ctx);

    /// <summary>The chain's elements (so that code walking a loaded chain sees through this wrapper).</summary>
    public IEnumerator<ITransformer> GetEnumerator() =>
        (Chain as IEnumerable<ITransformer> ?? [Chain]).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
