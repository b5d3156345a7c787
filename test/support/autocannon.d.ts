// Minimal types for the autocannon load tool's programmatic API (the package ships none): what the tests use.

declare module "autocannon" {
  interface AutocannonOptions {
    url: string;
    connections?: number;
    /** Total requests to send (the run ends when every one has been answered). */
    amount?: number;
    duration?: number;
    headers?: Record<string, string>;
    timeout?: number;
  }
  interface AutocannonResult {
    errors: number;
    timeouts: number;
    non2xx: number;
    "2xx": number;
    statusCodeStats: Record<string, { count: number }>;
  }
  function autocannon(opts: AutocannonOptions): Promise<AutocannonResult>;
  export default autocannon;
}
