/** What an adapter's `provision()` prepared for a run (a server started): released at the end of the run, or why its rows skip. */
export type AdapterProvision = { readonly skip: string } | { readonly skip?: undefined; release(): Promise<void> };
