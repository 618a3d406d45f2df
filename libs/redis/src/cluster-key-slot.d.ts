// cluster-key-slot (the slot function ioredis itself routes with) ships no type declarations.
declare module 'cluster-key-slot' {
  export default function calculateSlot(key: string | Buffer): number;
}
