// gpu.js's sources (what the browser bundle imports, patched) carry no declarations of their own.
declare module 'gpu.js/src/*'
